// Values of the helper ops the autoencoder variants use: corruption, one-hot codes, softmax
// cross-entropy, dropout (their gradients are checked through the op table).
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor_math.h"

namespace latent {
namespace {

constexpr int64_t kN = 100000;

// Fractions over kN fixed Philox draws: 4 binomial standard errors (sqrt(p(1-p)/n) <= 0.0016)
// is passed by a correct stream and failed by a wrong threshold or a mixed-up branch.
constexpr double kFracTol = 4 * 0.0016;

double Fraction(const Tensor& t, float value) {
  int64_t hits = 0;
  for (float v : t.ToVector<float>()) hits += v == value;
  return static_cast<double>(hits) / static_cast<double>(t.numel());
}

TEST(Corrupt, MaskSaltPepperAndGaussian) {
  const Tensor x = Tensor::Full({kN}, 0.5);
  EXPECT_NEAR(Fraction(Corrupt(x, kernels::Corruption::kMask, 0.3, 1, 0), 0.0f), 0.3, kFracTol);
  const Tensor sp = Corrupt(x, kernels::Corruption::kSaltPepper, 0.2, 1, 0);
  EXPECT_NEAR(Fraction(sp, 0.0f), 0.1, kFracTol);
  EXPECT_NEAR(Fraction(sp, 1.0f), 0.1, kFracTol);
  EXPECT_NEAR(Fraction(sp, 0.5f), 0.8, kFracTol);
  // Gaussian: the noise has standard deviation sigma = 0.25 around x.
  const std::vector<float> g = Corrupt(x, kernels::Corruption::kGaussian, 0.25, 1, 0).ToVector<float>();
  double mean = 0, var = 0;
  for (float v : g) mean += v;
  mean /= kN;
  for (float v : g) var += (v - mean) * (v - mean);
  EXPECT_NEAR(mean, 0.5, 4 * 0.25 / std::sqrt(double(kN)));
  EXPECT_NEAR(std::sqrt(var / kN), 0.25, 0.01);
  EXPECT_THROW(Corrupt(x, kernels::Corruption::kMask, 1.5, 1, 0), Error);
}

TEST(OneHot, CodesAndRangeCheck) {
  const Tensor labels = Tensor::FromVector<int32_t>({2, 0}, {2});
  EXPECT_EQ(math::OneHot(labels, 3).ToVector<float>(), (std::vector<float>{0, 0, 1, 1, 0, 0}));
  EXPECT_THROW(math::OneHot(labels, 2), Error);
}

TEST(SoftmaxCrossEntropy, KnownValues) {
  // Equal logits over 2 classes: -log(1/2). Logits (0, log 3): p(class 1) = 3/4.
  const Tensor logits = Tensor::FromVector<double>({0, 0, 0, std::log(3.0)}, {2, 2});
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1}, {2});
  const std::vector<double> l = SoftmaxCrossEntropy(logits, labels).ToVector<double>();
  EXPECT_NEAR(l[0], std::log(2.0), 1e-12);
  EXPECT_NEAR(l[1], -std::log(0.75), 1e-12);
  // Large logits stay finite (the row max is subtracted before exp).
  const Tensor big = Tensor::FromVector<float>({1000, -1000}, {1, 2});
  EXPECT_NEAR(SoftmaxCrossEntropy(big, Tensor::FromVector<int32_t>({1}, {1})).item(), 2000.0,
              1e-2);
  EXPECT_THROW(SoftmaxCrossEntropy(logits, Tensor::FromVector<int32_t>({0, 2}, {2})), Error);
}

TEST(Dropout, KeepsOneMinusPAndScales) {
  const Tensor x = Tensor::Full({kN}, 1.0);
  const Tensor y = Dropout(x, 0.25, 3, 0);
  EXPECT_NEAR(Fraction(y, 0.0f), 0.25, kFracTol);
  EXPECT_NEAR(Fraction(y, 1.0f / 0.75f), 0.75, kFracTol);
  EXPECT_EQ(y.ToVector<float>(), Dropout(x, 0.25, 3, 0).ToVector<float>());
  EXPECT_EQ(Dropout(x, 0.0, 3, 0).raw_data(), x.raw_data());  // p = 0 is the identity
  EXPECT_THROW(Dropout(x, 1.0, 3, 0), Error);
}

}  // namespace
}  // namespace latent

// The linear probe of tools/eval/linear_probe.h: separable classes are classified perfectly whatever
// the features' scales and offsets, random labels give chance on the test set, the same on a GPU,
// and errors that say what was expected.
#include "tools/eval/linear_probe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/device.h"
#include "core/random.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;

constexpr double kPi = 3.14159265358979323846;

// Three classes around the vertices of a triangle of radius 4 in the first two features, with
// uniform noise in [-1, 1] per coordinate (every point stays at least 2 sqrt(3) - sqrt(2) > 2 from
// the bisectors between the classes), plus `noise_features` pure-noise features and one constant
// feature. The two informative features are then mapped to signal_scale x + offset, the others to
// noise_scale x + offset.
struct Split {
  Tensor features, labels;
};
Split Triangle(int64_t n, int64_t noise_features, uint64_t seed, double signal_scale,
               double noise_scale, double offset, Device device = Device::Cpu()) {
  const int64_t D = 3 + noise_features;
  const std::vector<double> u = RandomUniform({n * D}, seed, 0, DType::kF64).ToVector<double>();
  std::vector<float> x(n * D);
  std::vector<int32_t> y(n);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t c = static_cast<int32_t>(r % 3);
    y[r] = c;
    const double angle = 2.0 * kPi * c / 3.0;
    for (int64_t j = 0; j < D; ++j) {
      double v = 2.0 * u[r * D + j] - 1.0;
      if (j == 0) v += 4.0 * std::cos(angle);
      if (j == 1) v += 4.0 * std::sin(angle);
      if (j == 2) v = 3.0;
      x[r * D + j] = static_cast<float>((j < 2 ? signal_scale : noise_scale) * v + offset);
    }
  }
  return {Tensor::FromVector(x, {n, D}, device), Tensor::FromVector(y, {n}, device)};
}

TEST(LinearProbe, SeparableClassesAreClassifiedPerfectly) {
  ProbeOptions options;
  options.epochs = 20;
  options.batch_size = 32;
  options.lr = 0.05;
  const Split train = Triangle(300, 2, 1, 1.0, 1.0, 0.0);
  const Split test = Triangle(150, 2, 2, 1.0, 1.0, 0.0);
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_EQ(r.train_accuracy, 1.0);
  EXPECT_EQ(r.test_accuracy, 1.0);
  // The same problem with the informative features shrunk 100-fold, the noise features grown
  // 100-fold, and all offset by 100 (the signal keeps about 13 bits in f32). Standardization
  // makes the probe blind to scales and offsets, so it trains exactly as well; on the raw
  // features, the initial weights' products with the noise would swamp the signal for longer
  // than Adam's steps of about lr can undo.
  const Split big_train = Triangle(300, 2, 1, 1e-2, 1e2, 1e2);
  const Split big_test = Triangle(150, 2, 2, 1e-2, 1e2, 1e2);
  const ProbeResult big = LinearProbe(big_train.features, big_train.labels, big_test.features,
                                      big_test.labels, 3, options);
  EXPECT_EQ(big.train_accuracy, 1.0);
  EXPECT_EQ(big.test_accuracy, 1.0);
}

TEST(LinearProbe, RandomLabelsGiveChanceOnTheTestSet) {
  // Labels independent of the features: whatever the probe fits on the training set, the test
  // accuracy of 3 balanced classes is 1/3 +- sqrt(2/9 / 3000) = 0.0086; 0.04 is over 4 sigma.
  const int64_t D = 10;
  auto make = [&](int64_t n, uint64_t seed) {
    const std::vector<double> u = RandomUniform({n}, seed, 1, DType::kF64).ToVector<double>();
    std::vector<int32_t> y(n);
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(3.0 * u[i]);
    return Split{RandomNormal({n, D}, seed, 0), Tensor::FromVector(y, {n})};
  };
  const Split train = make(600, 7), test = make(3000, 8);
  ProbeOptions options;
  options.epochs = 30;
  options.lr = 0.01;
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_NEAR(r.test_accuracy, 1.0 / 3.0, 0.04);
  // It does fit some noise: 10 features, 600 examples, 33 parameters.
  EXPECT_GT(r.train_accuracy, 0.36);
}

TEST(LinearProbe, OnTheGpuToo) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  ProbeOptions options;
  options.batch_size = 32;
  options.lr = 0.05;
  const Split train = Triangle(300, 2, 1, 1e-2, 1e2, 1e2, Device::Cuda());
  const Split test = Triangle(150, 2, 2, 1e-2, 1e2, 1e2, Device::Cuda());
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_EQ(r.train_accuracy, 1.0);
  EXPECT_EQ(r.test_accuracy, 1.0);
}

TEST(LinearProbe, BadArgumentsAreRejected) {
  const Split train = Triangle(30, 0, 1, 1.0, 1.0, 0.0);
  const Split test = Triangle(12, 1, 2, 1.0, 1.0, 0.0);
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, test.features, test.labels, 3); },
      {"expected test features with 3 columns", "found 4"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, train.features, train.labels, 2); },
      {"expected training labels in [0, 2)", "found 2 at index 2"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.features, train.features, train.labels, 3); },
      {"training labels of shape (30) and dtype i32", "f32"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, train.features, train.labels, 1); },
      {"at least 2 classes", "found 1"});
}

}  // namespace
}  // namespace latent

// The PCA baseline of `latent eval` (tools/eval/pca_baseline.h), on points whose PCA is known:
// training images on a line, test images off it by a known distance.
#include "tools/eval/pca_baseline.h"

#include <gtest/gtest.h>

#include <vector>

namespace latent {
namespace {

// Images of 1x3 pixels m + t u + e v: m = (0.5, 0.5, 0.5), u = (1, 2, 2) / 3 and v = (2, 1, -2) / 3
// orthonormal, one image per (t, e).
Dataset Points(const std::vector<double>& t, double e) {
  const double m = 0.5, u[3] = {1 / 3.0, 2 / 3.0, 2 / 3.0}, v[3] = {2 / 3.0, 1 / 3.0, -2 / 3.0};
  std::vector<float> pixels;
  for (double ti : t)
    for (int j = 0; j < 3; ++j) pixels.push_back(static_cast<float>(m + ti * u[j] + e * v[j]));
  const int64_t n = static_cast<int64_t>(t.size());
  Dataset d;
  d.height = 1;
  d.width = 3;
  d.num_classes = 1;
  d.images = Tensor::FromVector(pixels, {n, 3});
  d.labels = Tensor::FromVector(std::vector<int32_t>(n, 0), {n});
  return d;
}

TEST(PcaBaseline, OneComponentKeepsTheLineAndLosesTheDistanceFromIt) {
  const Dataset train = Points({-0.6, -0.3, 0.0, 0.3, 0.6}, 0.0);
  const Dataset test = Points({-0.2, 0.1, 0.4}, 0.3);
  const PcaBaseline pca = MeasurePcaBaseline(train, test, 1);
  EXPECT_EQ(pca.components, 1);
  EXPECT_NEAR(pca.squared_error, 0.3 * 0.3, 1e-6);  // e^2 per image
  // The codes are the positions t along u (whose largest entry is positive, so the sign is +).
  ASSERT_EQ(pca.train_codes.shape(), Shape({5, 1}));
  ASSERT_EQ(pca.test_codes.shape(), Shape({3, 1}));
  const std::vector<float> train_codes = pca.train_codes.ToVector<float>();
  const std::vector<float> test_codes = pca.test_codes.ToVector<float>();
  const float want_train[] = {-0.6f, -0.3f, 0.0f, 0.3f, 0.6f}, want_test[] = {-0.2f, 0.1f, 0.4f};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(train_codes[i], want_train[i], 1e-6) << i;
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(test_codes[i], want_test[i], 1e-6) << i;
}

TEST(PcaBaseline, AsManyComponentsAsPixelsReconstructExactly) {
  const Dataset train = Points({-0.6, -0.3, 0.0, 0.3, 0.6}, 0.1);
  const PcaBaseline pca = MeasurePcaBaseline(train, Points({0.2}, -0.25), 3);
  EXPECT_NEAR(pca.squared_error, 0.0, 1e-10);
  EXPECT_EQ(pca.test_codes.shape(), Shape({1, 3}));
}

}  // namespace
}  // namespace latent

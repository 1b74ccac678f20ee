// The feature-extraction measure of `latent eval` (tools/eval/probes.h): one linear probe per
// representation, on data where pixels separate the classes and a constant feature does not.
#include "tools/eval/probes.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/test_util.h"

namespace latent {
namespace {

// n images of 1x4 pixels in two classes: the class's own pixel bright (0.6 to 1), the other
// pixels dim (0 to 0.4), so one linear threshold separates them.
Dataset TwoClasses(int64_t n, uint64_t seed) {
  const std::vector<float> u = RandomUniform({n, 4}, seed, 0).ToVector<float>();
  std::vector<float> pixels(n * 4);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int32_t>(i % 2);
    for (int64_t j = 0; j < 4; ++j)
      pixels[i * 4 + j] = 0.4f * u[i * 4 + j] + (j == labels[i] ? 0.6f : 0.0f);
  }
  Dataset d;
  d.height = 1;
  d.width = 4;
  d.num_classes = 2;
  d.images = Tensor::FromVector(pixels, {n, 4});
  d.labels = Tensor::FromVector(labels, {n});
  return d;
}

TEST(Probes, EachRepresentationGetsItsProbe) {
  const Dataset train = TwoClasses(400, 1), test = TwoClasses(100, 2);
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", {1, 4, 2}, {"latent-dim=3"});
  ae->params().Allocate(Device::Cpu(), 5);
  ProbeOptions options;
  options.epochs = 10;
  options.lr = 1e-2;
  const ProbeAccuracies without_pca = MeasureProbes(*ae, train, test, nullptr, 2, options, 64);
  EXPECT_EQ(without_pca.pixels, 1.0);
  EXPECT_GE(without_pca.codes, 0.0);
  EXPECT_LE(without_pca.codes, 1.0);
  EXPECT_FALSE(without_pca.pca.has_value());

  // PCA codes that hold the class (the first component, along pixel 0 minus pixel 1), and then
  // codes that do not: a constant, with which a probe is at chance on balanced classes.
  PcaBaseline pca = MeasurePcaBaseline(train, test, 2);
  const ProbeAccuracies with_pca = MeasureProbes(*ae, train, test, &pca, 2, options, 64);
  ASSERT_TRUE(with_pca.pca.has_value());
  EXPECT_EQ(*with_pca.pca, 1.0);
  EXPECT_EQ(with_pca.codes, without_pca.codes);
  pca.train_codes = Tensor::Full({400, 2}, 0.5);
  pca.test_codes = Tensor::Full({100, 2}, 0.5);
  EXPECT_EQ(*MeasureProbes(*ae, train, test, &pca, 2, options, 64).pca, 0.5);
}

}  // namespace
}  // namespace latent

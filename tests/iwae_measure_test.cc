// The test-set likelihood of `latent eval` (tools/eval/iwae.h): rows go to the VAE in groups of a
// hundred, each group seeded by its first row, so the estimate is reproducible whatever the chunk.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "core/random.h"
#include "tests/test_util.h"
#include "tools/eval/iwae.h"

namespace latent {
namespace {

// A small VAE on 4x4 images and 250 binary images with labels: three groups, the last one short.
class IwaeMeasure : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = latent::testing::MakeModel("vae", {4, 4, 10}, {"hidden=8", "latent-dim=2"});
    model_->params().Allocate(Device::Cpu(), 3);
    vae_ = dynamic_cast<VaeCore*>(model_.get());
    data_.height = data_.width = 4;
    data_.num_classes = 10;
    data_.images = Bernoulli(RandomUniform({kImages, 16}, 2, 0), 2, 1);
    std::vector<int32_t> labels(kImages);
    for (int64_t i = 0; i < kImages; ++i) labels[i] = static_cast<int32_t>(i % 10);
    data_.labels = Tensor::FromVector(labels, {kImages});
  }
  static constexpr int64_t kImages = 250;
  std::unique_ptr<Model> model_;
  VaeCore* vae_ = nullptr;
  Dataset data_;
};

TEST_F(IwaeMeasure, GroupsOfAHundredRowsEachSeededByItsFirstRow) {
  std::vector<double> expected;
  for (const auto& [begin, end] : {std::pair<int64_t, int64_t>{0, 100}, {100, 200}, {200, 250}}) {
    const std::vector<double> group = vae_->ImportanceWeightedLogLikelihood(
        data_.images.Rows(begin, end), data_.labels.Rows(begin, end), 6,
        static_cast<uint64_t>(9 + begin), 6);
    expected.insert(expected.end(), group.begin(), group.end());
  }
  std::vector<std::pair<int64_t, int64_t>> calls;
  const std::vector<double> got = IwaeLogLikelihoods(*vae_, data_.images, data_.labels, 6, 9, 4,
                                                     [&](int64_t done, int64_t total) {
                                                       calls.push_back({done, total});
                                                     });
  EXPECT_EQ(got, expected);  // the chunk (4 here, 6 above) changes nothing
  EXPECT_EQ(calls, (std::vector<std::pair<int64_t, int64_t>>{{100, 250}, {200, 250}, {250, 250}}));
  // A row's seed comes from its place in the set: the same rows from another start differ.
  const std::vector<double> shifted =
      IwaeLogLikelihoods(*vae_, data_.images.Rows(100, 250), data_.labels.Rows(100, 250), 6, 9, 6);
  EXPECT_NE(shifted, std::vector<double>(expected.begin() + 100, expected.end()));
}

TEST_F(IwaeMeasure, NegativeLogLikelihoodPerImageOfTheFirstImages) {
  const std::vector<double> log_px = IwaeLogLikelihoods(*vae_, data_.images, data_.labels, 5, 7, 5);
  double first = 0.0, all = 0.0;
  for (int64_t i = 0; i < kImages; ++i) (i < 120 ? first : all) += log_px[i];
  all += first;
  const IwaeResult some = MeasureIwae(*vae_, data_, 5, 120, 5, 7);
  EXPECT_EQ(some.k, 5);
  EXPECT_EQ(some.images, 120);
  EXPECT_NEAR(some.nll, -first / 120, 1e-12 * std::abs(first));
  for (int64_t limit : {0, 250, 1000}) {
    const IwaeResult r = MeasureIwae(*vae_, data_, 5, limit, 5, 7);
    EXPECT_EQ(r.images, kImages) << "limit " << limit;
    EXPECT_NEAR(r.nll, -all / kImages, 1e-12 * std::abs(all)) << "limit " << limit;
  }
  EXPECT_GT(some.nll, 0.0);  // binary images of 16 pixels: p(x) < 1
}

}  // namespace
}  // namespace latent

// The test-set measure of `latent eval` (tools/eval/test_set.h): the loss is the one training
// reports, on the same images, binarized or not; the squared error is of the grey levels.
#include "tools/eval/test_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

class TestSetMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = latent::testing::MnistDir();
    if (dir_.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  }
  std::string dir_;
};

// A run trained with dynamic binarization reports, after its last epoch, the test loss of
// BinarizeTestSet(test, its seed); eval, binarizing with the run's seed and scoring with its
// batch size and seed (a VAE's noise), computes the very same number.
TEST_F(TestSetMnist, BinarizedRunsTrainingTestLossIsTheOneEvalComputes) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 512);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 300);
  std::unique_ptr<Model> vae =
      latent::testing::MakeModel("vae", {28, 28, 10}, {"hidden=64", "latent-dim=4"});
  TrainOptions options;
  options.epochs = 1;
  options.batch_size = 128;  // 300 test images: a ragged last batch
  options.seed = 11;
  options.binarize = true;
  vae->params().Allocate(Device::Cpu(), options.seed);
  const std::vector<EpochMetrics> history = Train(*vae, train, test, options, [](auto&) {});
  const double trained = history.back().test.loss;

  const Dataset scored = BinarizeTestSet(test, options.seed);
  const TestSetResult binarized = MeasureTestSet(*vae, test, scored, 128, options.seed);
  EXPECT_EQ(binarized.loss.loss, trained);
  EXPECT_EQ(binarized.loss.parts.at("kl"), history.back().test.parts.at("kl"));
  // Other images give another loss: the grey levels, or another draw of the binarization.
  EXPECT_NE(MeasureTestSet(*vae, test, test, 128, options.seed).loss.loss, trained);
  EXPECT_NE(MeasureTestSet(*vae, test, BinarizeTestSet(test, options.seed + 1), 128, options.seed)
                .loss.loss,
            trained);
}

// The squared error compares the clean images with their reconstructions, whatever the loss was
// measured on: summed over pixels, averaged over images.
TEST_F(TestSetMnist, SquaredErrorIsOfTheGreyLevels) {
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 130);
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", {28, 28, 10});
  ae->params().Allocate(Device::Cpu(), 4);
  const TestSetResult grey = MeasureTestSet(*ae, test, test, 50, 1);
  double total = 0.0;
  {
    NoGradGuard no_grad;
    const std::vector<float> x = test.images.ToVector<float>();
    const std::vector<float> y = ae->Reconstruct(test.images, test.labels).ToVector<float>();
    for (size_t i = 0; i < x.size(); ++i) total += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
  }
  EXPECT_NEAR(grey.squared_error, total / 130.0, 1e-5 * total / 130.0);
  // The autoencoder's loss part "sqerr" is the same measure.
  EXPECT_NEAR(grey.loss.parts.at("sqerr"), grey.squared_error, 1e-5 * grey.squared_error);
  const TestSetResult binarized = MeasureTestSet(*ae, test, BinarizeTestSet(test, 1), 50, 1);
  EXPECT_EQ(binarized.squared_error, grey.squared_error);
  EXPECT_NE(binarized.loss.loss, grey.loss.loss);
}

}  // namespace
}  // namespace latent

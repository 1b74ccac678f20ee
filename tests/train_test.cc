// Training end to end on a real MNIST slice: the loss falls to a stated bound, the same seed gives
// the same run bit for bit, and a run directory reloads to the same model.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "models/train/run_dir.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

class MnistTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = latent::testing::MnistDir();
    if (dir_.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  }
  std::string dir_;
};

TEST_F(MnistTraining, VaeTestLossFallsBelowBound) {
  // 10000 training images, 3 epochs of batch 128 = 237 Adam steps. The untrained model scores
  // about 545 nats per test image; the PyTorch recipe reaches ~127 after 469 steps (one full
  // epoch). 150 is a bound a working implementation clears and a broken gradient (sign, scale,
  // missing KL term) does not.
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 10000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 2000);
  std::unique_ptr<Model> vae = latent::testing::MakeModel("vae", {28, 28, 10});
  vae->params().Allocate(Device::Cpu(), 1);
  const Evaluation before = Evaluate(*vae, test, 500, 1);
  TrainOptions options;
  options.epochs = 3;
  const std::vector<EpochMetrics> history = Train(*vae, train, test, options, [](auto&) {});
  ASSERT_EQ(history.size(), 3u);
  EXPECT_GT(before.loss, 400.0);
  EXPECT_LT(history.back().test.loss, 150.0);
  EXPECT_LT(history[2].train.loss, history[0].train.loss);
  EXPECT_GT(history.back().test.parts.at("kl"), 0.0);
}

TEST_F(MnistTraining, SameSeedGivesIdenticalLossSequence) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 1024);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 256);
  auto run = [&](uint64_t seed) {
    std::unique_ptr<Model> vae = latent::testing::MakeModel("vae", {28, 28, 10});
    vae->params().Allocate(Device::Cpu(), seed);
    TrainOptions options;
    options.epochs = 2;
    options.seed = seed;
    options.binarize = true;
    std::vector<double> losses;
    for (const EpochMetrics& m : Train(*vae, train, test, options, [](auto&) {})) {
      losses.push_back(m.train.loss);
      losses.push_back(m.test.loss);
    }
    return losses;
  };
  const std::vector<double> a = run(7);
  EXPECT_EQ(a, run(7));  // bitwise: every reduction has a fixed order
  EXPECT_NE(a, run(8));
}

TEST_F(MnistTraining, RunDirectoryReloadsTheSameModel) {
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 256);
  const ModelInfo& info = FindModel("vae");
  HyperParams values(info.hyperparams);
  values.Set("latent-dim", "8");
  const ModelShape shape{28, 28, 10};
  std::unique_ptr<Model> vae = info.create(values, shape);
  vae->params().Allocate(Device::Cpu(), 3);
  const std::string dir = ::testing::TempDir() + "/latent_run_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Trainer trainer(*vae, TrainOptions());
  SaveCheckpoint(dir, RunConfig(info, values, shape, TrainOptions(), dir_), trainer);
  LoadedRun loaded = LoadRun(dir, Device::Cpu());
  EXPECT_EQ(loaded.model->params().count(), vae->params().count());
  EXPECT_EQ(Evaluate(*loaded.model, test, 128, 1).loss, Evaluate(*vae, test, 128, 1).loss);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace latent

// Run directories: the sizes config.json may ask for are bounded, a checkpoint whose parts
// disagree is refused naming the file, and a new run replaces an old one without a moment where
// neither is whole.
#include "models/train/run_dir.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/io/file_util.h"
#include "core/io/safetensors.h"
#include "models/train/metrics.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;
namespace fs = std::filesystem;

Json VaeConfig() {
  const ModelInfo& info = FindModel("vae");
  HyperParams values(info.hyperparams);
  values.Set("hidden", "8");
  values.Set("latent-dim", "2");
  return RunConfig(info, values, {28, 28, 10}, TrainOptions(), "data/mnist");
}

TEST(RunConfigBounds, SizesAndCountsOutOfRangeAreErrors) {
  ModelShape shape;
  EXPECT_NO_THROW(ModelFromConfig(VaeConfig(), &shape));
  Json huge = VaeConfig();
  huge.At("data").Set("height", 4294967296.0);  // 2^32: height * width overflowed before
  huge.At("data").Set("width", 4294967296.0);
  ExpectErrorContaining(
      [&] { ModelFromConfig(huge, &shape); },
      {"\"data\".\"height\"", "expected an integer in [1, 16384]", "found 4294967296"});
  Json classes = VaeConfig();
  classes.At("data").Set("num_classes", -3);
  ExpectErrorContaining([&] { ModelFromConfig(classes, &shape); },
                        {"\"data\".\"num_classes\"", "found -3"});
  Json seed = VaeConfig();
  seed.At("train").Set("seed", -1);
  ExpectErrorContaining(
      [&] { TrainOptionsFromConfig(seed); },
      {"\"train\".\"seed\"", "expected an integer in [0, 9007199254740992]", "found -1"});
  Json lr = VaeConfig();
  lr.At("train").Set("lr", 0.0);
  ExpectErrorContaining([&] { TrainOptionsFromConfig(lr); }, {"\"train\".\"lr\"", "found 0"});
}

// A small VAE's run directory, checkpointed at `epoch` (the state set by hand: nothing trains).
class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = ModelFromConfig(config_, &shape_);
    model_->params().Allocate(Device::Cpu(), 1);
    trainer_ = std::make_unique<Trainer>(*model_, TrainOptions());
  }
  void Publish(int epoch) {
    TrainState& state = trainer_->state();
    while (state.epoch < epoch) {
      EpochMetrics m;
      m.epoch = ++state.epoch;
      m.train.loss = m.test.loss = 100.0 / m.epoch;
      state.history.push_back(m);
    }
    SaveCheckpoint(dir_.dir(), config_, *trainer_);
  }
  std::string Path(const std::string& file) const { return dir_.Path("checkpoint/" + file); }
  void ExpectRestoreFails(std::initializer_list<std::string> parts) {
    std::unique_ptr<Model> model = ModelFromConfig(config_, &shape_);
    model->params().Allocate(Device::Cpu(), 2);
    Trainer trainer(*model, TrainOptions());
    ExpectErrorContaining([&] { RestoreCheckpoint(dir_.dir(), trainer); }, parts);
  }

  latent::testing::ScratchDir dir_{"run_dir"};
  Json config_ = VaeConfig();
  ModelShape shape_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Trainer> trainer_;
};

TEST_F(Checkpoints, RestoreReadsBackWhatWasSaved) {
  Publish(2);
  std::unique_ptr<Model> model = ModelFromConfig(config_, &shape_);
  model->params().Allocate(Device::Cpu(), 2);
  Trainer trainer(*model, TrainOptions());
  RestoreCheckpoint(dir_.dir(), trainer);
  EXPECT_EQ(trainer.state().epoch, 2);
  EXPECT_EQ(trainer.state().history.size(), 2u);
  EXPECT_EQ(model->params().flat_values().ToVector<float>(),
            model_->params().flat_values().ToVector<float>());
  EXPECT_EQ(fs::read_symlink(dir_.Path("checkpoint")), "epoch-0002");
  EXPECT_FALSE(fs::exists(dir_.Path("epoch-0000")));
}

TEST_F(Checkpoints, PartsThatDisagreeAreRefusedNamingTheFile) {
  Publish(2);
  const std::string metrics = ReadFileBytes(Path("metrics.csv"));
  const std::string one_row = metrics.substr(0, metrics.rfind('\n', metrics.size() - 2) + 1);
  WriteFileAtomic(Path("metrics.csv"), {one_row});
  ExpectRestoreFails({"metrics.csv", "expected one row per completed epoch, 2, found 1"});
  WriteFileAtomic(Path("metrics.csv"), {metrics});

  std::map<std::string, std::string> metadata;
  const std::vector<NamedArray> moments = ReadSafetensors(Path("optimizer.safetensors"), &metadata);
  metadata["steps"] = "7";
  WriteSafetensors(Path("optimizer.safetensors"), moments, metadata);
  ExpectRestoreFails({"optimizer.safetensors",
                      "expected Adam's step count to equal the global "
                      "step 0",
                      "found 7"});
  fs::remove(Path("optimizer.safetensors"));
  ExpectRestoreFails({"optimizer.safetensors"});
  metadata["steps"] = "0";
  WriteSafetensors(Path("optimizer.safetensors"), moments, metadata);

  WriteFileAtomic(Path("train_state.json"), {"{\"epoch\": -1, \"step\": 0}"});
  ExpectRestoreFails({"train_state.json", "\"epoch\"", "found -1"});
  fs::remove(dir_.Path("checkpoint"));
  ExpectRestoreFails({"holds no checkpoint"});
}

TEST_F(Checkpoints, ANewRunReplacesTheOldOneOnlyWhenItsFirstCheckpointIsWhole) {
  Publish(3);
  WriteFileAtomic(dir_.Path("samples.png"), {"old picture"});
  WriteFileAtomic(dir_.Path("notes.txt"), {"not a run's file"});
  fs::create_directory(dir_.Path(".epoch-0000.staging"));  // as a crash leaves it
  EXPECT_TRUE(HoldsRun(dir_.dir()));

  trainer_ = std::make_unique<Trainer>(*model_, TrainOptions());
  StartRun(dir_.dir(), config_, *trainer_);
  EXPECT_EQ(fs::read_symlink(dir_.Path("checkpoint")), "epoch-0000");
  EXPECT_EQ(ReadFileBytes(dir_.Path("metrics.csv")), "");
  EXPECT_FALSE(fs::exists(dir_.Path("epoch-0003")));
  EXPECT_FALSE(fs::exists(dir_.Path(".epoch-0000.staging")));
  EXPECT_FALSE(fs::exists(dir_.Path("samples.png")));
  EXPECT_TRUE(fs::exists(dir_.Path("notes.txt")));
  // A run still at epoch 0 is replaced too (its directory name is the new one's).
  StartRun(dir_.dir(), config_, *trainer_);
  EXPECT_EQ(fs::read_symlink(dir_.Path("checkpoint")), "epoch-0000");
}

TEST(RunDirectory, AnEmptyOrForeignDirectoryHoldsNoRun) {
  latent::testing::ScratchDir dir("run_dir_empty");
  EXPECT_FALSE(HoldsRun(dir.dir()));
  WriteFileAtomic(dir.Path("notes.txt"), {"x"});
  EXPECT_FALSE(HoldsRun(dir.dir()));
  WriteFileAtomic(dir.Path("model.safetensors"), {"x"});  // a run of the earlier layout
  EXPECT_TRUE(HoldsRun(dir.dir()));
}

}  // namespace
}  // namespace latent

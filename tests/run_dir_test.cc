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

TEST(RunConfigBounds, TrainingRecipeRoundTripsAndIsBounded) {
  const ModelInfo& info = FindModel("vae");
  TrainOptions options;
  options.lr = 2e-3;
  options.lr_schedule = {LrScheduleKind::kStep, 7, 30, 0.5, 1e-4};
  options.weight_decay = 0.01;
  options.clip_norm = 2.5;
  const TrainOptions read = TrainOptionsFromConfig(
      Json::Parse(RunConfig(info, HyperParams(info.hyperparams), {28, 28, 10}, options, "d")
                      .Dump(2)));
  EXPECT_EQ(read.lr_schedule.kind, LrScheduleKind::kStep);
  EXPECT_EQ(read.lr_schedule.warmup_steps, 7u);
  EXPECT_EQ(read.lr_schedule.step_size, 30u);
  EXPECT_EQ(read.lr_schedule.gamma, 0.5);
  EXPECT_EQ(read.lr_schedule.min_lr, 1e-4);
  EXPECT_EQ(read.weight_decay, 0.01);
  EXPECT_EQ(read.clip_norm, 2.5);

  const auto with = [](const std::string& key, Json value) {
    Json config = VaeConfig();
    config.At("train").Set(key, std::move(value));
    return config;
  };
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("lr_schedule", "linear")); },
                        {"\"train\".\"lr_schedule\"", "constant, step or cosine", "'linear'"});
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("warmup_steps", -1)); },
                        {"\"train\".\"warmup_steps\"", "found -1"});
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("lr_step_size", 0)); },
                        {"\"train\".\"lr_step_size\"", "expected an integer in [1, ", "found 0"});
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("lr_gamma", 1.5)); },
                        {"\"train\".\"lr_gamma\"", "found 1.5"});
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("lr_min", 0.5)); },
                        {"\"train\".\"lr_min\"", "found 0.5"});  // above lr = 1e-3
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("weight_decay", -0.1)); },
                        {"\"train\".\"weight_decay\"", "found -0.1"});
  ExpectErrorContaining([&] { TrainOptionsFromConfig(with("clip_norm", -1)); },
                        {"\"train\".\"clip_norm\"", "found -1"});
}

// A config.json written before the recipe existed has none of its keys: it reads as plain Adam.
TEST(RunConfigBounds, RecipeKeysAbsentReadAsTheDefaults) {
  const Json config = VaeConfig();
  Json train = Json::MakeObject();
  for (const char* key : {"epochs", "batch_size", "lr", "seed", "binarize"})
    train.Set(key, config.At("train").At(key));
  Json old = config;
  old.Set("train", train);
  const TrainOptions read = TrainOptionsFromConfig(old);
  const TrainOptions defaults;
  EXPECT_EQ(read.lr_schedule.kind, LrScheduleKind::kConstant);
  EXPECT_EQ(read.lr_schedule.warmup_steps, 0u);
  EXPECT_EQ(read.lr_schedule.step_size, defaults.lr_schedule.step_size);
  EXPECT_EQ(read.lr_schedule.gamma, defaults.lr_schedule.gamma);
  EXPECT_EQ(read.lr_schedule.min_lr, 0.0);
  EXPECT_EQ(read.weight_decay, 0.0);
  EXPECT_EQ(read.clip_norm, 0.0);
  // A run from before validation trained on every image and ran every epoch, and resumes so.
  EXPECT_EQ(read.val_size, 0);
  EXPECT_EQ(read.patience, 0);
}

TEST(RunConfigBounds, ValidationAndPatienceRoundTripAndAreBounded) {
  const ModelInfo& info = FindModel("vae");
  TrainOptions options;
  options.val_size = 5000;
  options.patience = 3;
  const Json config = RunConfig(info, HyperParams(info.hyperparams), {28, 28, 10}, options, "d");
  const TrainOptions read = TrainOptionsFromConfig(Json::Parse(config.Dump(2)));
  EXPECT_EQ(read.val_size, 5000);
  EXPECT_EQ(read.patience, 3);
  // Without validation config.json is as before validation existed.
  const Json plain =
      RunConfig(info, HyperParams(info.hyperparams), {28, 28, 10}, TrainOptions(), "d");
  EXPECT_FALSE(plain.At("train").Contains("val_size"));
  EXPECT_FALSE(plain.At("train").Contains("patience"));
  Json bad = config;
  bad.At("train").Set("val_size", -1);
  ExpectErrorContaining([&] { TrainOptionsFromConfig(bad); },
                        {"\"train\".\"val_size\"", "found -1"});
  bad = config;
  bad.At("train").Set("patience", -2);
  ExpectErrorContaining([&] { TrainOptionsFromConfig(bad); },
                        {"\"train\".\"patience\"", "found -2"});
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
  // Publishes the next epoch with validation loss `val_loss` and parameters moved away from the
  // last epoch's; returns those parameters.
  std::vector<float> PublishValidated(double val_loss) {
    TrainState& state = trainer_->state();
    EpochMetrics m;
    m.epoch = ++state.epoch;
    m.train.loss = m.test.loss = 100.0 / m.epoch;
    m.val = Evaluation{val_loss, {}};
    state.history.push_back(m);
    RecordValidation(state, m.epoch, val_loss);
    std::vector<float> values = model_->params().flat_values().ToVector<float>();
    for (float& v : values) v += 0.25f * static_cast<float>(m.epoch);
    model_->params().flat_values().CopyFrom(Tensor::FromVector(values, {
        static_cast<int64_t>(values.size())}));
    SaveCheckpoint(dir_.dir(), config_, *trainer_);
    return Values(*model_);
  }
  // Every parameter's values, in order (the flat buffer less its alignment padding).
  static std::vector<float> Values(Model& model) {
    std::vector<float> out;
    for (const NamedArray& a : model.params().ToArrays())
      out.insert(out.end(), a.values.begin(), a.values.end());
    return out;
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

TEST_F(Checkpoints, TheBestEpochIsLinkedKeptAndRestored) {
  Publish(0);
  PublishValidated(5.0);
  const std::vector<float> best = PublishValidated(4.0);
  PublishValidated(4.5);
  const std::vector<float> last = PublishValidated(4.0);  // equal: not a new best
  ASSERT_NE(best, last);
  EXPECT_EQ(fs::read_symlink(dir_.Path("checkpoint")), "epoch-0004");
  EXPECT_EQ(fs::read_symlink(dir_.Path("best")), "epoch-0002");
  EXPECT_TRUE(fs::is_directory(dir_.Path("epoch-0002")));  // kept past later checkpoints
  EXPECT_FALSE(fs::exists(dir_.Path("epoch-0001")));
  EXPECT_FALSE(fs::exists(dir_.Path("epoch-0003")));
  // What `latent eval` and `latent sample` load is the best epoch's model.
  EXPECT_EQ(fs::read_symlink(dir_.Path("model.safetensors")), "best/model.safetensors");
  EXPECT_EQ(ReadFileBytes(dir_.Path("model.safetensors")),
            ReadFileBytes(dir_.Path("epoch-0002/model.safetensors")));
  EXPECT_EQ(Values(*LoadRun(dir_.dir(), Device::Cpu()).model), best);

  // The trained model goes back to the best epoch's parameters, bit for bit, and links left
  // behind by a crash between a checkpoint and its `best` link are moved on first.
  ReplaceWithSymlink(dir_.Path("best"), "epoch-0004");
  ReplaceWithSymlink(dir_.Path("model.safetensors"), "checkpoint/model.safetensors");
  RestoreBestParams(dir_.dir(), *trainer_);
  EXPECT_EQ(Values(*model_), best);
  EXPECT_EQ(fs::read_symlink(dir_.Path("best")), "epoch-0002");
  EXPECT_EQ(fs::read_symlink(dir_.Path("model.safetensors")), "best/model.safetensors");

  // Resuming restores the best fields with the rest; the model is the last epoch's.
  std::unique_ptr<Model> model = ModelFromConfig(config_, &shape_);
  model->params().Allocate(Device::Cpu(), 2);
  Trainer trainer(*model, TrainOptions());
  RestoreCheckpoint(dir_.dir(), trainer);
  EXPECT_EQ(trainer.state().best_epoch, 2);
  EXPECT_EQ(trainer.state().best_val_loss, 4.0);
  EXPECT_EQ(trainer.state().epochs_since_best, 2);
  EXPECT_EQ(Values(*model), last);
  ASSERT_TRUE(trainer.state().history[1].val);
  EXPECT_EQ(trainer.state().history[1].val->loss, 4.0);

  // A best loss that metrics.csv does not hold is refused, naming both files.
  const std::string state = ReadFileBytes(Path("train_state.json"));
  Json edited = Json::Parse(state);
  edited.Set("best_val_loss", 3.0);
  WriteFileAtomic(Path("train_state.json"), {edited.Dump(2)});
  ExpectRestoreFails({"train_state.json", "expected best_val_loss to be the validation loss of "
                      "epoch 2", "metrics.csv", "found 3"});
  WriteFileAtomic(Path("train_state.json"), {state});

  // A new run in the directory has no best epoch yet: the old run's link goes, and the model
  // link is the checkpoint's again.
  trainer_ = std::make_unique<Trainer>(*model_, TrainOptions());
  StartRun(dir_.dir(), config_, *trainer_);
  EXPECT_FALSE(fs::exists(dir_.Path("best")));
  EXPECT_FALSE(fs::exists(dir_.Path("epoch-0002")));
  EXPECT_EQ(fs::read_symlink(dir_.Path("model.safetensors")), "checkpoint/model.safetensors");
  ExpectErrorContaining([&] { RestoreBestParams(dir_.dir(), *trainer_); },
                        {"holds no best epoch", "best/model.safetensors"});
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

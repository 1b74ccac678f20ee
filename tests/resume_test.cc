// Exact resume: a run of N epochs, and the same run stopped after epoch k and resumed from its
// run directory, end with byte-identical checkpoints and the same metrics (wall time aside). Run
// for a dense VAE whose every per-step draw and KL weight depends on the step (binarized input,
// cyclical beta schedule), for a convolutional VAE, and for the dense VAE trained with the whole
// recipe on (warm-up, cosine rate, gradient clipping, AdamW's weight decay).
#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include "core/io/dataset.h"
#include "core/io/file_util.h"
#include "core/io/safetensors.h"
#include "models/train/metrics.h"
#include "models/train/run_dir.h"
#include "tests/test_util.h"

namespace latent {
namespace {

struct ResumeCase {
  std::string name, model;
  std::vector<std::string> hyperparams;
  LrSchedule lr_schedule;  // TrainOptions' recipe; the defaults are plain Adam
  double weight_decay = 0.0, clip_norm = 0.0;
};
void PrintTo(const ResumeCase& c, std::ostream* os) { *os << c.name; }

ResumeCase Case(std::string name, std::string model, std::vector<std::string> hyperparams) {
  ResumeCase c;
  c.name = std::move(name);
  c.model = std::move(model);
  c.hyperparams = std::move(hyperparams);
  return c;
}

ResumeCase WithRecipe() {
  ResumeCase c = Case("beta_vae_recipe", "beta-vae", {"hidden=64"});
  // 9 steps in all: 2 of warm-up, then a cosine over the other 7 that the resume splits.
  c.lr_schedule.kind = LrScheduleKind::kCosine;
  c.lr_schedule.warmup_steps = 2;
  c.lr_schedule.min_lr = 1e-4;
  c.weight_decay = 0.05;
  c.clip_norm = 5.0;  // below the VAE's summed-loss gradient norms: every step is clipped
  return c;
}

class ExactResume : public ::testing::TestWithParam<ResumeCase> {
 protected:
  void SetUp() override {
    const std::string data = latent::testing::MnistDir();
    if (data.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
    train_ = LoadDataset(data, "train", Device::Cpu(), 192);
    test_ = LoadDataset(data, "t10k", Device::Cpu(), 32);
    options_.batch_size = 64;  // 3 steps per epoch
    options_.binarize = true;
    options_.seed = 5;
    options_.lr_schedule = GetParam().lr_schedule;
    options_.weight_decay = GetParam().weight_decay;
    options_.clip_norm = GetParam().clip_norm;
    root_ = ::testing::TempDir() + "/latent_resume_" + GetParam().name;
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // A run directory trained for `epochs` in total, first to `stop` (a checkpoint per epoch as
  // `latent train` writes; the run is cut off after epoch `stop`'s checkpoint as a crash would cut
  // it, so its schedule spans all `epochs`), then, when stop < epochs, continued by a fresh
  // process-like setup (new model, new trainer) from the directory. `restore` false skips
  // restoring the checkpoint's Adam state and step: the control showing that the comparison can
  // fail.
  std::string Run(const std::string& name, int stop, int epochs, bool restore = true) {
    const std::string dir = root_ + "/" + name;
    std::filesystem::create_directories(dir);
    const ModelShape shape{28, 28, 10};
    const ModelInfo& info = FindModel(GetParam().model);
    HyperParams values(info.hyperparams);
    for (const std::string& o : GetParam().hyperparams)
      values.Set(o.substr(0, o.find('=')), o.substr(o.find('=') + 1));
    TrainOptions options = options_;
    options.epochs = epochs;
    {
      struct CutOff {};
      std::unique_ptr<Model> model = info.create(values, shape);
      model->params().Allocate(Device::Cpu(), options.seed);
      Trainer trainer(*model, options);
      const Json config = RunConfig(info, values, shape, options, "");
      SaveCheckpoint(dir, config, trainer);
      try {
        trainer.Run(train_, test_, [&] {
          SaveCheckpoint(dir, config, trainer);
          if (trainer.state().epoch == stop) throw CutOff();
        });
      } catch (const CutOff&) {
      }
    }
    if (stop == epochs) return dir;
    std::unique_ptr<Model> model = info.create(values, shape);
    model->params().Allocate(Device::Cpu(), 99);  // overwritten by the checkpoint
    Trainer trainer(*model, options);
    if (restore) {
      RestoreCheckpoint(dir, trainer);
    } else {
      trainer.model().params().FromArrays(ReadRunParams(dir), dir);
      trainer.state().epoch = stop;  // the epoch but not the step nor Adam's moments
      trainer.state().history = ParseMetricsCsv(ReadFileBytes(dir + "/metrics.csv"), dir);
    }
    EXPECT_EQ(trainer.state().epoch, stop);
    const Json config = RunConfig(info, values, shape, options, "");
    trainer.Run(train_, test_, [&] { SaveCheckpoint(dir, config, trainer); });
    return dir;
  }

  static std::vector<NamedArray> ReadRunParams(const std::string& dir) {
    return ReadSafetensors(dir + "/model.safetensors");
  }

  // metrics.csv without its last column, the epochs' wall times.
  static std::string MetricsWithoutSeconds(const std::string& dir) {
    std::vector<EpochMetrics> history =
        ParseMetricsCsv(ReadFileBytes(dir + "/metrics.csv"), dir + "/metrics.csv");
    for (EpochMetrics& m : history) m.seconds = 0.0;
    return MetricsCsv(history);
  }

  Dataset train_, test_;
  TrainOptions options_;
  std::string root_;
};

TEST_P(ExactResume, StoppedAndResumedRunMatchesUninterruptedByteForByte) {
  const std::string whole = Run("whole", 3, 3);
  const std::string resumed = Run("resumed", 1, 3);
  for (const char* file : {"model.safetensors", "checkpoint/optimizer.safetensors",
                           "checkpoint/train_state.json", "config.json"}) {
    EXPECT_EQ(ReadFileBytes(whole + "/" + file), ReadFileBytes(resumed + "/" + file)) << file;
  }
  const std::string metrics = MetricsWithoutSeconds(whole);
  EXPECT_EQ(metrics, MetricsWithoutSeconds(resumed));
  EXPECT_EQ(ParseMetricsCsv(metrics, "metrics").size(), 3u);
  // Only the last epoch's directory is kept.
  EXPECT_TRUE(std::filesystem::is_directory(resumed + "/epoch-0003"));
  EXPECT_FALSE(std::filesystem::exists(resumed + "/epoch-0002"));

  // The control: the same comparison fails when the resumed run lacks the optimizer's state.
  const std::string partial = Run("partial", 1, 3, /*restore=*/false);
  EXPECT_NE(ReadFileBytes(whole + "/model.safetensors"),
            ReadFileBytes(partial + "/model.safetensors"));
}

INSTANTIATE_TEST_SUITE_P(
    Models, ExactResume,
    ::testing::Values(
        Case("beta_vae", "beta-vae", {"hidden=64", "schedule=cyclical", "cycle-steps=4"}),
        Case("conv_vae", "conv-vae", {"channels=4"}),
        Case("iwae", "iwae", {"hidden=64", "samples=3"}), WithRecipe()),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace latent

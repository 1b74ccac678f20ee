// Exact resume: a run of N epochs, and the same run stopped after epoch k and resumed from its
// run directory, end with byte-identical checkpoints and the same metrics (wall time aside). Run
// for a dense VAE whose every per-step draw and KL weight depends on the step (binarized input,
// cyclical beta schedule), for a convolutional VAE, and for the dense VAE trained with the whole
// recipe on (warm-up, cosine rate, gradient clipping, AdamW's weight decay), and for a dense VAE
// with a validation set and early stopping, cut off at the epoch after which it stops.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
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
  double lr = 1e-3;
  int64_t val_size = 0;  // the last images of the training file held out; 0: none
  int patience = 0;
  int epochs = 3, cut = 1;  // the whole run's epochs, and the epoch after which one is cut off
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

std::string EpochDir(int epoch) {
  char name[32];
  std::snprintf(name, sizeof name, "epoch-%04d", epoch);
  return name;
}

class ExactResume : public ::testing::TestWithParam<ResumeCase> {
 protected:
  void SetUp() override {
    const std::string data = latent::testing::MnistDir();
    if (data.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
    TrainValSplit split =
        LoadTrainValSplit(data, "train", Device::Cpu(), 192, GetParam().val_size);
    train_ = split.train;
    val_ = split.val;
    test_ = LoadDataset(data, "t10k", Device::Cpu(), 32);
    options_.batch_size = 64;  // 3 steps per epoch
    options_.binarize = true;
    options_.seed = 5;
    options_.lr_schedule = GetParam().lr_schedule;
    options_.weight_decay = GetParam().weight_decay;
    options_.clip_norm = GetParam().clip_norm;
    options_.lr = GetParam().lr;
    options_.val_size = GetParam().val_size;
    options_.patience = GetParam().patience;
    // A fresh directory of its own, so that runs of this test in parallel never share files.
    scratch_ = std::make_unique<testing::ScratchDir>("resume_" + GetParam().name);
    root_ = scratch_->dir();
  }

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
        }, val_);
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
    trainer.Run(train_, test_, [&] { SaveCheckpoint(dir, config, trainer); }, val_);
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

  Dataset train_, test_, val_;
  TrainOptions options_;
  std::unique_ptr<testing::ScratchDir> scratch_;
  std::string root_;
};

TEST_P(ExactResume, StoppedAndResumedRunMatchesUninterruptedByteForByte) {
  const ResumeCase& c = GetParam();
  const std::string whole = Run("whole", c.epochs, c.epochs);
  const std::string resumed = Run("resumed", c.cut, c.epochs);
  std::vector<std::string> files = {"model.safetensors", "checkpoint/optimizer.safetensors",
                                    "checkpoint/train_state.json", "config.json"};
  if (c.val_size > 0) files.push_back("best/model.safetensors");
  for (const std::string& file : files) {
    EXPECT_EQ(ReadFileBytes(whole + "/" + file), ReadFileBytes(resumed + "/" + file)) << file;
  }
  const std::string metrics = MetricsWithoutSeconds(whole);
  EXPECT_EQ(metrics, MetricsWithoutSeconds(resumed));
  const std::vector<EpochMetrics> history = ParseMetricsCsv(metrics, "metrics");
  int last = c.epochs;
  if (c.patience > 0) {
    // The crafted run stops early, before its last epoch: the cut after its stopping epoch
    // leaves the stop to the restored state.
    ASSERT_TRUE(history.back().val);
    last = static_cast<int>(history.size());
    EXPECT_LT(last, c.epochs);
    EXPECT_EQ(last, c.cut);
  }
  EXPECT_EQ(history.size(), static_cast<size_t>(last));
  // Only the last epoch's directory is kept, and the best epoch's.
  const int best = c.patience > 0 ? last - c.patience : last;
  EXPECT_EQ(std::filesystem::read_symlink(resumed + "/checkpoint").string(), EpochDir(last));
  if (c.val_size > 0) {
    EXPECT_EQ(std::filesystem::read_symlink(resumed + "/best").string(), EpochDir(best));
  }
  for (int e = 0; e <= last; ++e) {
    EXPECT_EQ(std::filesystem::is_directory(resumed + "/" + EpochDir(e)), e == last || e == best)
        << EpochDir(e);
  }

  // The control: the same comparison fails when the resumed run lacks the optimizer's state.
  const std::string partial = Run("partial", 1, c.epochs, /*restore=*/false);
  EXPECT_NE(ReadFileBytes(whole + "/model.safetensors"),
            ReadFileBytes(partial + "/model.safetensors"));
}

// A rate high enough for the validation loss to rise again within a few epochs, so that early
// stopping ends the run before its last epoch; the cut after epoch 3 leaves the stop to the
// restored state (the best epoch, and the epochs since it).
ResumeCase WithEarlyStopping() {
  ResumeCase c = Case("vae_early_stop", "beta-vae", {"hidden=64"});
  c.lr = 0.05;  // validation losses 273.4, 242.4, 255.8: the best is epoch 2, the stop after 3
  c.val_size = 64;
  c.patience = 1;
  c.epochs = 5;
  c.cut = 3;
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Models, ExactResume,
    ::testing::Values(
        Case("beta_vae", "beta-vae", {"hidden=64", "schedule=cyclical", "cycle-steps=4"}),
        Case("conv_vae", "conv-vae", {"channels=4"}),
        Case("iwae", "iwae", {"hidden=64", "samples=3"}), WithRecipe(), WithEarlyStopping()),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace latent

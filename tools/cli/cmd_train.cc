// latent train: trains a registered model and writes a run directory (models/train/run_dir.h).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/io/file_util.h"
#include "core/ops.h"
#include "models/train/pretrain.h"
#include "models/train/run_dir.h"
#include "models/train/trainer.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/cli/train_config.h"
#include "tools/cli/train_flags.h"

namespace latent {
namespace {

// A fresh run's directory: created now, so that a path that cannot be one fails before the data
// loads; an existing run in it is refused unless --overwrite, and then replaced only once the
// new run has set up and publishes its first checkpoint (StartRun).
void PrepareRunDir(const std::string& out, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(out, error)) {
    LATENT_CHECK(fs::is_directory(out, error), "--out '", out,
                 "' exists and is not a directory; expected a directory for the run");
    LATENT_CHECK(!HoldsRun(out) || overwrite, "--out '", out, "' already holds a run; pass "
                 "--resume ", out, " to continue it, or --overwrite to replace it");
  } else {
    fs::create_directories(out, error);
    LATENT_CHECK(!error, "cannot create the run directory --out '", out, "': ", error.message());
  }
  LATENT_CHECK(access(out.c_str(), W_OK | X_OK) == 0, "cannot write in the run directory --out '",
               out, "': ", std::strerror(errno));
}

// --resume DIR: the configuration the run recorded, naming the file in any error.
Json ResumedConfig(const std::string& dir) {
  const std::string path = dir + "/checkpoint/config.json";
  LATENT_CHECK(std::filesystem::is_regular_file(path), "--resume '", dir,
               "': expected a run directory written by `latent train`, with ", path,
               "; found none");
  try {
    Json config = Json::Parse(ReadFileBytes(path));
    ModelShape shape;
    ModelFromConfig(config, &shape);  // checked here, so that every error names the file
    TrainOptionsFromConfig(config);
    config.At("data").At("dir").AsString();
    return config;
  } catch (const Error& e) {
    LATENT_FAIL(path, ": ", e.what());
  }
}

// A resumed run keeps its configuration: flags may set only the total number of epochs and how
// and where it runs.
void CheckResumeFlags(const Flags& flags, const ModelInfo& info, const std::string& dir) {
  static const std::set<std::string> allowed = {"resume", "epochs", "device", "threads", "gemm",
                                                "profile-steps"};
  std::vector<FlagSpec> specs = TrainFlags();
  specs.insert(specs.end(), info.hyperparams.begin(), info.hyperparams.end());
  for (const FlagSpec& spec : specs) {
    LATENT_CHECK(!flags.IsSet(spec.name) || allowed.count(spec.name), "--", spec.name,
                 " cannot be given with --resume: the run continues with its own configuration (",
                 dir, "/checkpoint/config.json); only --epochs (a new total), --device, "
                 "--threads, --gemm and --profile-steps may be");
  }
}

}  // namespace

int RunTrain(const Args& args) {
  const std::string resume = PeekFlag(args, "resume", "");
  const std::string config_file = PeekFlag(args, "config", "");
  LATENT_CHECK(resume.empty() || config_file.empty(), "--config cannot be given with --resume: "
               "--resume continues a run with its own configuration, --config starts a new run "
               "from a recorded one");
  // --config FILE: the recorded run's flags, under those of the command line.
  const TrainConfigFile recorded =
      config_file.empty() ? TrainConfigFile{} : ReadTrainConfig(config_file, TrainFlags());
  // The model's hyperparameters are flags too: a resumed run's model is the one it recorded.
  Json config = resume.empty() ? Json() : ResumedConfig(resume);
  const ModelInfo& info = FindModel(!resume.empty()        ? config.At("model").AsString()
                                    : !config_file.empty() ? recorded.model
                                                           : PeekFlag(args, "model", "vae"));
  Flags flags("train", TrainFlags());
  flags.Add(info.hyperparams);
  if (ParseOrPrintHelp(flags, args)) return 0;
  if (!config_file.empty()) ApplyTrainConfig(recorded, flags);

  TrainOptions options;
  std::string out, data_dir;
  if (!resume.empty()) {
    CheckResumeFlags(flags, info, resume);
    options = TrainOptionsFromConfig(config);
    data_dir = config.At("data").At("dir").AsString();
    out = resume;
  } else {
    options.batch_size = flags.GetInt("batch-size", 1, 1 << 20);
    options.lr = flags.GetDouble("lr", 0.0, 10.0);
    options.lr_schedule.kind =
        ParseLrScheduleKind(flags.GetChoice("lr-schedule", {"constant", "step", "cosine"}));
    options.lr_schedule.warmup_steps =
        static_cast<uint64_t>(flags.GetInt("lr-warmup-steps", 0, int64_t{1} << 53));
    options.lr_schedule.step_size =
        static_cast<uint64_t>(flags.GetInt("lr-step-size", 1, int64_t{1} << 53));
    options.lr_schedule.gamma = flags.GetDouble("lr-gamma", 1e-9, 1.0);
    options.lr_schedule.min_lr = flags.GetDouble("lr-min", 0.0, options.lr);
    options.weight_decay = flags.GetDouble("weight-decay", 0.0, 1.0);
    options.clip_norm = flags.GetDouble("clip-norm", 0.0, 1e6);
    options.seed = static_cast<uint64_t>(flags.GetInt("seed", 0, int64_t{1} << 53));
    options.binarize = flags.GetBool("binarize");
    options.train_limit = flags.GetInt("train-limit", 0, INT64_MAX);
    options.test_limit = flags.GetInt("test-limit", 0, INT64_MAX);
    options.val_size = flags.GetInt("val-size", 0, INT64_MAX);
    options.patience = static_cast<int>(flags.GetInt("patience", 0, 1000000));
    LATENT_CHECK(options.patience == 0 || options.val_size > 0, "--patience ", options.patience,
                 ": expected --val-size above 0, found --val-size 0 (early stopping watches the "
                 "validation loss)");
    data_dir = flags.Get("data");
    out = flags.Get("out").empty() ? "runs/" + info.name : flags.Get("out");
    PrepareRunDir(out, flags.GetBool("overwrite"));
  }
  if (resume.empty() || flags.IsSet("epochs"))
    options.epochs = static_cast<int>(flags.GetInt("epochs", 1, 1000000));
  options.progress = isatty(fileno(stderr));
  if (!flags.Get("profile-steps").empty()) ParseProfileSteps(flags.Get("profile-steps"), options);

  const Device device = SetUpDevice(flags);
  const math::CudaGemmScope gemm(SetUpGemm(flags, device));
  if (options.profile_end > options.profile_begin && !device.is_cuda()) {
    std::fprintf(stderr, "note: --profile-steps applies only to CUDA devices; ignored on %s\n",
                 device.ToString().c_str());
  }
  const TrainValSplit split =
      LoadTrainValSplit(data_dir, "train", device, options.train_limit, options.val_size);
  const Dataset& train = split.train;
  const Dataset& val = split.val;
  const Dataset test = LoadDataset(data_dir, "t10k", device, options.test_limit);
  CheckSameImageShape(train, test);
  ModelShape shape{train.height, train.width, std::max(train.num_classes, test.num_classes)};

  std::unique_ptr<Model> model;
  if (!resume.empty()) {
    model = ModelFromConfig(config, &shape);
    LATENT_CHECK(shape.height == train.height && shape.width == train.width, "--resume '", out,
                 "': the run was trained on ", shape.height, "x", shape.width, " images, but ",
                 data_dir, " now holds ", train.height, "x", train.width);
  } else {
    const HyperParams values = ModelValues(info, flags);
    model = info.create(values, shape);
    config = RunConfig(info, values, shape, options, data_dir);
  }
  model->params().Allocate(device, options.seed);
  Trainer trainer(*model, options);
  if (!resume.empty()) {
    RestoreCheckpoint(out, trainer);
    const TrainState& state = trainer.state();
    LATENT_CHECK(state.epoch <= options.epochs, "--epochs ", options.epochs, ": the run in '",
                 out, "' has completed ", state.epoch, " epochs; expected a total of at least that");
    const uint64_t steps_per_epoch = static_cast<uint64_t>(
        (train.size() + options.batch_size - 1) / options.batch_size);
    LATENT_CHECK(state.step == steps_per_epoch * state.epoch, "--resume '", out, "': expected ",
                 state.epoch, " epochs of ", steps_per_epoch, " steps (", train.size(),
                 " training images in batches of ", options.batch_size, "), found ", state.step,
                 " steps in the checkpoint; has the data in ", data_dir, " changed?");
    config.At("train").Set("epochs", options.epochs);
  } else {
    Pretrain(*model, train, options, [](const PretrainEpoch& e) {
      std::printf("pretrain stage %d  epoch %d  loss %.4f\n", e.stage + 1, e.epoch, e.loss);
      std::fflush(stdout);
    });
    StartRun(out, config, trainer);  // epoch 0: the directory holds the run from the start
  }
  const std::string val_count =
      val.size() > 0 ? std::to_string(val.size()) + " validation (the last of the file), " : "";
  std::printf("model %s: %lld parameters; data %s: %lld train, %s%lld test images of %lldx%lld\n",
              info.name.c_str(), static_cast<long long>(model->params().count()),
              data_dir.c_str(), static_cast<long long>(train.size()), val_count.c_str(),
              static_cast<long long>(test.size()), static_cast<long long>(shape.height),
              static_cast<long long>(shape.width));
  if (!resume.empty()) {
    std::printf("resuming %s after epoch %d (step %llu), to epoch %d\n", out.c_str(),
                trainer.state().epoch, static_cast<unsigned long long>(trainer.state().step),
                options.epochs);
  }
  std::fflush(stdout);

  try {
    trainer.Run(train, test, [&] {
      const EpochMetrics& m = trainer.state().history.back();
      std::printf("epoch %d  train_loss %.4f", m.epoch, m.train.loss);
      if (m.val) std::printf("  val_loss %.4f", m.val->loss);
      std::printf("  test_loss %.4f", m.test.loss);
      for (const auto& [name, v] : m.test.parts) std::printf("  test_%s %.4f", name.c_str(), v);
      std::printf("  time %.2fs%s\n", m.seconds,
                  m.val && trainer.state().best_epoch == m.epoch ? "  (best)" : "");
      std::fflush(stdout);
      SaveCheckpoint(out, config, trainer);  // an interrupted run loses at most this epoch
    }, val);
  } catch (const Error& e) {
    const int kept = trainer.state().epoch;
    LATENT_FAIL(e.what(), "\n", out, " keeps the checkpoint of epoch ", kept,
                kept == 0 ? " (the initial parameters)" : ", the last one completed");
  }

  const TrainState& state = trainer.state();
  if (state.best_epoch > 0) {
    // The pictures, and the model the run directory's readers load, are the best epoch's.
    RestoreBestParams(out, trainer);
    const std::string why =
        state.epoch < options.epochs
            ? "stopped early after " + std::to_string(state.epochs_since_best) +
                  " epochs without a lower validation loss (--patience " +
                  std::to_string(options.patience) + ")"
            : "the lowest validation loss of the " + std::to_string(state.epoch) + " epochs";
    std::printf("kept epoch %d (val_loss %.4f): %s; %s/checkpoint stays on epoch %d for "
                "--resume\n", state.best_epoch, state.best_val_loss, why.c_str(), out.c_str(),
                state.epoch);
  }
  SaveReconstructions(out + "/reconstructions.png", *model, test, 8, 4);
  try {
    NoGradGuard no_grad;
    SaveImages(out + "/samples.png", model->Sample(64, options.seed, Tensor()), shape.height,
               shape.width, 8);
  } catch (const Error& e) {
    std::printf("no samples.png: %s\n", e.what());
  }
  std::printf("wrote %s/{model.safetensors, config.json, metrics.csv, reconstructions.png%s} "
              "(links into %s/checkpoint/%s)\n",
              out.c_str(), std::filesystem::exists(out + "/samples.png") ? ", samples.png" : "",
              out.c_str(), state.best_epoch > 0 ? ", the model into best/" : "");
  return 0;
}

}  // namespace latent

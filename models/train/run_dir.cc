#include "models/train/run_dir.h"

#include <cstdio>
#include <filesystem>
#include <limits>
#include <system_error>

#include "core/io/file_util.h"
#include "core/io/idx.h"
#include "core/io/safetensors.h"
#include "models/train/metrics.h"

namespace latent {
namespace {

namespace fs = std::filesystem;

// Limits of what config.json may ask for: image sides as the IDX loader's, labels are bytes.
constexpr int64_t kMaxClasses = 256;
constexpr int64_t kMaxEpochs = 1000000;
constexpr int64_t kMaxBatch = int64_t{1} << 20;
constexpr int64_t kMaxSeed = int64_t{1} << 53;  // JSON numbers are doubles: exact up to 2^53

// The files of one checkpoint, and the links beside it that readers open.
constexpr const char* kLink = "checkpoint";
constexpr const char* kBestLink = "best";
constexpr const char* kConfig = "config.json";
constexpr const char* kModel = "model.safetensors";
constexpr const char* kOptimizer = "optimizer.safetensors";
constexpr const char* kState = "train_state.json";
constexpr const char* kMetrics = "metrics.csv";
constexpr const char* kPictures[] = {"reconstructions.png", "samples.png"};

int64_t IntIn(const Json& object, const std::string& section, const std::string& key, int64_t lo,
              int64_t hi) {
  const int64_t value = object.At(key).AsInt64();
  LATENT_CHECK(value >= lo && value <= hi, "\"", section, "\".\"", key,
               "\": expected an integer in [", lo, ", ", hi, "], found ", value);
  return value;
}

// A number of object[key], or `fallback` when the key is absent (runs written before it existed).
double NumberIn(const Json& object, const std::string& section, const std::string& key,
                double fallback, double lo, double hi) {
  if (!object.Contains(key)) return fallback;
  const double value = object.At(key).AsNumber();
  LATENT_CHECK(value >= lo && value <= hi, "\"", section, "\".\"", key,
               "\": expected a number in [", lo, ", ", hi, "], found ", value);
  return value;
}

std::string EpochName(int epoch) {
  char name[32];
  std::snprintf(name, sizeof name, "epoch-%04d", epoch);
  return name;
}

// epoch-<digits>, a published checkpoint; .epoch-<digits>.staging, one being written.
bool IsEpochEntry(const std::string& name) {
  std::string rest = name;
  if (rest.size() > 9 && rest.front() == '.' && rest.compare(rest.size() - 8, 8, ".staging") == 0)
    rest = rest.substr(1, rest.size() - 9);
  return rest.size() > 6 && rest.compare(0, 6, "epoch-") == 0 &&
         rest.find_first_not_of("0123456789", 6) == std::string::npos;
}

// Where the link DIR/NAME points, or "" when it does not exist.
std::string LinkTarget(const std::string& dir, const std::string& name) {
  std::error_code error;
  const fs::path target = fs::read_symlink(dir + "/" + name, error);
  return error ? "" : target.string();
}

std::string CheckpointTarget(const std::string& dir) { return LinkTarget(dir, kLink); }

void RemoveAll(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  LATENT_CHECK(!error, "cannot remove '", path.string(), "': ", error.message());
}

// Points DIR/best at the published epoch `best_epoch` (none: 0, the link removed, as a replaced
// run's is), and the readers' model link at best/ when it exists, so that `latent eval` and
// `latent sample` load the best epoch's model; at checkpoint/ otherwise.
void LinkBest(const std::string& dir, int best_epoch) {
  const std::string best = best_epoch > 0 ? EpochName(best_epoch) : "";
  if (best.empty()) {
    RemoveAll(fs::path(dir) / kBestLink);
  } else if (LinkTarget(dir, kBestLink) != best) {
    ReplaceWithSymlink(dir + "/" + kBestLink, best);
  }
  const std::string model = std::string(best.empty() ? kLink : kBestLink) + "/" + kModel;
  if (LinkTarget(dir, kModel) != model) ReplaceWithSymlink(dir + "/" + kModel, model);
}

}  // namespace

Json RunConfig(const ModelInfo& info, const HyperParams& values, const ModelShape& shape,
               const TrainOptions& options, const std::string& data_dir) {
  Json model_flags = Json::MakeObject();
  for (const HyperParamSpec& spec : info.hyperparams)
    model_flags.Set(spec.name, values.Get(spec.name));
  Json train = Json::MakeObject();
  train.Set("epochs", options.epochs);
  train.Set("batch_size", options.batch_size);
  train.Set("lr", options.lr);
  train.Set("seed", static_cast<double>(options.seed));
  train.Set("binarize", options.binarize);
  const LrSchedule& schedule = options.lr_schedule;
  train.Set("lr_schedule", LrScheduleName(schedule.kind));
  train.Set("warmup_steps", static_cast<double>(schedule.warmup_steps));
  train.Set("lr_step_size", static_cast<double>(schedule.step_size));
  train.Set("lr_gamma", schedule.gamma);
  train.Set("lr_min", schedule.min_lr);
  train.Set("weight_decay", options.weight_decay);
  train.Set("clip_norm", options.clip_norm);
  // Absent without validation, so that such a run's config.json is the one written before
  // validation existed, byte for byte (and reads back as val_size 0).
  if (options.val_size > 0) {
    train.Set("val_size", options.val_size);
    train.Set("patience", options.patience);
  }
  Json data = Json::MakeObject();
  data.Set("dir", data_dir);
  data.Set("height", shape.height);
  data.Set("width", shape.width);
  data.Set("num_classes", shape.num_classes);
  data.Set("train_limit", options.train_limit);
  data.Set("test_limit", options.test_limit);
  Json config = Json::MakeObject();
  config.Set("model", info.name);
  config.Set("model_flags", model_flags);
  config.Set("train", train);
  config.Set("data", data);
  return config;
}

std::unique_ptr<Model> ModelFromConfig(const Json& config, ModelShape* shape) {
  const ModelInfo& info = FindModel(config.At("model").AsString());
  HyperParams values(info.hyperparams);
  for (const auto& [name, value] : config.At("model_flags").AsObject())
    values.Set(name, value.AsString());
  const Json& data = config.At("data");
  *shape = {IntIn(data, "data", "height", 1, kMaxImageSide),
            IntIn(data, "data", "width", 1, kMaxImageSide),
            static_cast<int>(IntIn(data, "data", "num_classes", 1, kMaxClasses))};
  return info.create(values, *shape);
}

TrainOptions TrainOptionsFromConfig(const Json& config) {
  const Json& train = config.At("train");
  TrainOptions options;
  options.epochs = static_cast<int>(IntIn(train, "train", "epochs", 1, kMaxEpochs));
  options.batch_size = IntIn(train, "train", "batch_size", 1, kMaxBatch);
  options.lr = train.At("lr").AsNumber();
  LATENT_CHECK(options.lr > 0.0 && options.lr <= 10.0,
               "\"train\".\"lr\": expected a number in "
               "(0, 10], found ",
               options.lr);
  options.seed = static_cast<uint64_t>(IntIn(train, "train", "seed", 0, kMaxSeed));
  options.binarize = train.At("binarize").AsBool();
  // The recipe's keys are absent from runs written before they existed: those trained with the
  // defaults. The bounds are those of `latent train`'s flags.
  LrSchedule& schedule = options.lr_schedule;
  if (train.Contains("lr_schedule")) {
    try {
      schedule.kind = ParseLrScheduleKind(train.At("lr_schedule").AsString());
    } catch (const Error& e) {
      LATENT_FAIL("\"train\".\"lr_schedule\": ", e.what());
    }
  }
  if (train.Contains("warmup_steps"))
    schedule.warmup_steps = static_cast<uint64_t>(
        IntIn(train, "train", "warmup_steps", 0, kMaxSeed));
  if (train.Contains("lr_step_size"))
    schedule.step_size = static_cast<uint64_t>(
        IntIn(train, "train", "lr_step_size", 1, kMaxSeed));
  schedule.gamma = NumberIn(train, "train", "lr_gamma", schedule.gamma, 1e-9, 1.0);
  schedule.min_lr = NumberIn(train, "train", "lr_min", schedule.min_lr, 0.0, options.lr);
  options.weight_decay = NumberIn(train, "train", "weight_decay", options.weight_decay, 0.0, 1.0);
  options.clip_norm = NumberIn(train, "train", "clip_norm", options.clip_norm, 0.0, 1e6);
  // Runs written before validation existed trained on every image and ran every epoch: 0, 0.
  if (train.Contains("val_size"))
    options.val_size = IntIn(train, "train", "val_size", 0, INT64_MAX);
  if (train.Contains("patience"))
    options.patience = static_cast<int>(IntIn(train, "train", "patience", 0, kMaxEpochs));
  // Runs written before the limits were recorded used all the data or said nothing: 0.
  const Json& data = config.At("data");
  if (data.Contains("train_limit"))
    options.train_limit = IntIn(data, "data", "train_limit", 0, INT64_MAX);
  if (data.Contains("test_limit"))
    options.test_limit = IntIn(data, "data", "test_limit", 0, INT64_MAX);
  return options;
}

void SaveCheckpoint(const std::string& dir, const Json& config, Trainer& trainer) {
  const TrainState& state = trainer.state();
  const std::string name = EpochName(state.epoch);
  LATENT_CHECK(CheckpointTarget(dir) != name, "'", dir, "/", name,
               "' is already the published checkpoint; expected a later epoch");
  const fs::path staging = fs::path(dir) / ("." + name + ".staging");
  const fs::path published = fs::path(dir) / name;
  RemoveAll(staging);    // a checkpoint a crash interrupted
  RemoveAll(published);  // a checkpoint a crash left unpublished
  std::error_code error;
  fs::create_directory(staging, error);
  LATENT_CHECK(!error, "cannot create '", staging.string(), "': ", error.message());

  const auto path = [&](const char* file) { return (staging / file).string(); };
  Model& model = trainer.model();
  WriteSafetensors(path(kModel), model.params().ToArrays(),
                   {{"model", config.At("model").AsString()}, {"framework", "latent"}});
  Adam& adam = trainer.adam();
  std::vector<float> m = adam.first_moment(), v = adam.second_moment();
  const int64_t n = static_cast<int64_t>(m.size());
  WriteSafetensors(path(kOptimizer), {{"adam.m", {n}, std::move(m)}, {"adam.v", {n}, std::move(v)}},
                   {{"optimizer", "adam"}, {"steps", std::to_string(adam.steps())}});
  Json train_state = Json::MakeObject();
  train_state.Set("epoch", state.epoch);
  train_state.Set("step", static_cast<double>(state.step));
  if (state.best_epoch > 0) {  // absent without validation, as before it existed
    train_state.Set("best_epoch", state.best_epoch);
    train_state.Set("best_val_loss", state.best_val_loss);
    train_state.Set("epochs_since_best", state.epochs_since_best);
  }
  WriteFileAtomic(path(kState), {train_state.Dump(2) + "\n"});
  WriteFileAtomic(path(kMetrics), {MetricsCsv(state.history)});
  WriteFileAtomic(path(kConfig), {config.Dump(2) + "\n"});
  SyncDirectory(staging.string());

  fs::rename(staging, published, error);
  LATENT_CHECK(!error, "cannot rename '", staging.string(), "' to '", published.string(),
               "': ", error.message());
  SyncDirectory(dir);
  // The readers' links first (dangling until the first commit), so that they exist whenever a
  // checkpoint does.
  for (const char* file : {kConfig, kModel, kMetrics}) {
    const std::string link = dir + "/" + file;
    if (!fs::is_symlink(link)) ReplaceWithSymlink(link, std::string(kLink) + "/" + file);
  }
  ReplaceWithSymlink(dir + "/" + kLink, name);  // the commit
  // Then `best`, which only ever moves to a published epoch, and the readers' model link. A
  // crash between the commit and here leaves `best` on the older best epoch, which is still whole
  // (removed only below); the next checkpoint, or RestoreBestParams, moves it.
  LinkBest(dir, state.best_epoch);
  const std::string best = state.best_epoch > 0 ? EpochName(state.best_epoch) : "";
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    const std::string entry_name = entry.path().filename().string();
    if (IsEpochEntry(entry_name) && entry_name != name && entry_name != best)
      RemoveAll(entry.path());
  }
}

void RestoreCheckpoint(const std::string& dir, Trainer& trainer) {
  const std::string checkpoint = dir + "/" + kLink;
  LATENT_CHECK(fs::is_directory(checkpoint), "'", dir, "' holds no checkpoint: expected '",
               checkpoint,
               "' to lead to a directory of a completed epoch, as `latent train` "
               "writes");
  const auto path = [&](const char* file) { return checkpoint + "/" + file; };
  trainer.model().params().FromArrays(ReadSafetensors(path(kModel)), path(kModel));

  std::map<std::string, std::string> metadata;
  const std::vector<NamedArray> moments = ReadSafetensors(path(kOptimizer), &metadata);
  LATENT_CHECK(moments.size() == 2 && moments[0].name == "adam.m" && moments[1].name == "adam.v",
               path(kOptimizer), ": expected the tensors adam.m and adam.v, found ", moments.size(),
               " tensors", moments.empty() ? "" : " starting with " + moments[0].name);
  LATENT_CHECK(
      metadata.count("optimizer") && metadata["optimizer"] == "adam" && metadata.count("steps"),
      path(kOptimizer), ": expected metadata optimizer = adam and steps");
  const std::string& steps_text = metadata["steps"];
  const bool digits = !steps_text.empty() && steps_text.size() <= 15 &&
                      steps_text.find_first_not_of("0123456789") == std::string::npos;
  LATENT_CHECK(digits, path(kOptimizer), ": expected metadata steps to be a step count, found '",
               steps_text, "'");
  const int64_t adam_steps = std::stoll(steps_text);

  TrainState& state = trainer.state();
  try {
    const Json saved = Json::Parse(ReadFileBytes(path(kState)));
    state.epoch = static_cast<int>(IntIn(saved, "train_state", "epoch", 0, kMaxEpochs));
    state.step = static_cast<uint64_t>(IntIn(saved, "train_state", "step", 0, kMaxSeed));
    // Absent in runs without validation (and older runs): no best epoch.
    state.best_epoch = saved.Contains("best_epoch")
                           ? static_cast<int>(IntIn(saved, "train_state", "best_epoch", 1,
                                                    state.epoch))
                           : 0;
    state.best_val_loss = state.best_epoch > 0 ? saved.At("best_val_loss").AsNumber()
                                               : std::numeric_limits<double>::infinity();
    state.epochs_since_best =
        state.best_epoch > 0 ? static_cast<int>(IntIn(saved, "train_state", "epochs_since_best",
                                                      state.epoch - state.best_epoch,
                                                      state.epoch - state.best_epoch))
                             : 0;
  } catch (const Error& e) {
    LATENT_FAIL(path(kState), ": ", e.what());
  }
  state.history = ParseMetricsCsv(ReadFileBytes(path(kMetrics)), path(kMetrics));
  LATENT_CHECK(static_cast<int64_t>(state.history.size()) == state.epoch, path(kMetrics),
               ": expected one row per completed epoch, ", state.epoch, ", found ",
               state.history.size());
  if (state.best_epoch > 0) {
    const EpochMetrics& best = state.history[state.best_epoch - 1];
    LATENT_CHECK(best.val && best.val->loss == state.best_val_loss, path(kState),
                 ": expected best_val_loss to be the validation loss of epoch ", state.best_epoch,
                 " in ", path(kMetrics), ", ", best.val ? best.val->loss : 0.0, ", found ",
                 state.best_val_loss, best.val ? "" : " (that file holds no validation loss)");
  }
  LATENT_CHECK(static_cast<uint64_t>(adam_steps) == state.step, path(kOptimizer),
               ": expected Adam's step count to equal the global step ", state.step, " of ",
               path(kState), ", found ", adam_steps);
  trainer.adam().Restore(moments[0].values, moments[1].values, adam_steps, path(kOptimizer));
}

void RestoreBestParams(const std::string& dir, Trainer& trainer) {
  const int best_epoch = trainer.state().best_epoch;
  const std::string best = dir + "/" + kBestLink + "/" + kModel;
  LATENT_CHECK(best_epoch > 0, "'", dir, "' holds no best epoch: expected '", best,
               "', which a run with a validation set writes after its first epoch");
  LATENT_CHECK(fs::is_directory(dir + "/" + EpochName(best_epoch)), "'", dir, "' lacks ",
               EpochName(best_epoch), ", the best epoch its ", kState, " names");
  LinkBest(dir, best_epoch);  // after a crash between a checkpoint and its link, too
  trainer.model().params().FromArrays(ReadSafetensors(best), best);
}

bool HoldsRun(const std::string& dir) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name == kLink || name == kBestLink || name == kConfig || name == kModel ||
        name == kMetrics || IsEpochEntry(name))
      return true;
  }
  return false;
}

void StartRun(const std::string& dir, const Json& config, Trainer& trainer) {
  LATENT_CHECK(trainer.state().epoch == 0, "a new run starts at epoch 0, found epoch ",
               trainer.state().epoch);
  if (CheckpointTarget(dir) == EpochName(0)) RemoveAll(fs::path(dir) / kLink);
  SaveCheckpoint(dir, config, trainer);
  for (const char* picture : kPictures) RemoveAll(fs::path(dir) / picture);
}

LoadedRun LoadRun(const std::string& dir, Device device) {
  const std::string config_path = dir + "/" + kConfig;
  LoadedRun run;
  try {
    run.config = Json::Parse(ReadFileBytes(config_path));
    run.model = ModelFromConfig(run.config, &run.shape);
    run.options = TrainOptionsFromConfig(run.config);
  } catch (const Error& e) {
    LATENT_FAIL(config_path, ": ", e.what());
  }
  run.model->params().Allocate(device, 0);
  const std::string weights = dir + "/" + kModel;
  run.model->params().FromArrays(ReadSafetensors(weights), weights);
  return run;
}

}  // namespace latent

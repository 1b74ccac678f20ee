// latent train: trains a registered model and writes a run directory (models/train/run_dir.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/ops.h"
#include "models/train/run_dir.h"
#include "models/train/trainer.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace latent {
namespace {

std::vector<FlagSpec> TrainFlags() {
  std::vector<FlagSpec> flags = {
      {"model", "vae", "model to train (see `latent models`)"},
      {"data", "data/mnist", "directory of IDX files (train-* and t10k-*, raw or .gz)"},
      {"epochs", "10", "passes over the training set"},
      {"batch-size", "128", "examples per step"},
      {"lr", "1e-3", "Adam learning rate"},
      {"seed", "1", "seed of every random draw (initialization, shuffling, noise)"},
      {"binarize", "false", "dynamic binarization: resample each pixel as Bernoulli(grey level)"},
      {"train-limit", "0", "use only the first N training images (0: all)"},
      {"test-limit", "0", "use only the first N test images (0: all)"},
      {"out", "", "run directory to write (default: runs/MODEL)"},
      {"profile-steps", "", "A:B: put global steps A..B-1 (0-based, end exclusive) in the CUDA "
                            "profiler's capture range, for ncu --profile-from-start off or nsys "
                            "--capture-range=cudaProfilerApi (CUDA devices only)"},
      GemmFlag(),
  };
  for (const FlagSpec& f : DeviceFlags()) flags.push_back(f);
  return flags;
}

// Parses --profile-steps "A:B" into [A, B), checking 0 <= A < B.
void ParseProfileSteps(const std::string& value, TrainOptions& options) {
  const auto fail = [&] {
    LATENT_FAIL("--profile-steps expects A:B, two step numbers with 0 <= A < B (steps A..B-1 are "
                "profiled, counted from 0 across epochs), found '", value, "'");
  };
  const size_t colon = value.find(':');
  if (colon == std::string::npos) fail();
  const auto parse = [&](const std::string& text) {
    const bool digits = text.find_first_not_of("0123456789") == std::string::npos;
    if (text.empty() || text.size() > 18 || !digits) fail();  // 18 digits cannot overflow int64
    return static_cast<int64_t>(std::stoll(text));
  };
  options.profile_begin = parse(value.substr(0, colon));
  options.profile_end = parse(value.substr(colon + 1));
  if (options.profile_begin >= options.profile_end) fail();
}

}  // namespace

int RunTrain(const Args& args) {
  const ModelInfo& info = FindModel(PeekFlag(args, "model", "vae"));
  Flags flags("train", TrainFlags());
  flags.Add(info.hyperparams);
  if (ParseOrPrintHelp(flags, args)) return 0;
  TrainOptions options;
  options.epochs = static_cast<int>(flags.GetInt("epochs", 1, 1000000));
  options.batch_size = flags.GetInt("batch-size", 1, 1 << 20);
  options.lr = flags.GetDouble("lr", 0.0, 10.0);
  options.seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  options.binarize = flags.GetBool("binarize");
  options.progress = isatty(fileno(stderr));
  if (!flags.Get("profile-steps").empty()) ParseProfileSteps(flags.Get("profile-steps"), options);
  const std::string out = flags.Get("out").empty() ? "runs/" + info.name : flags.Get("out");

  const Device device = SetUpDevice(flags);
  const math::CudaGemmScope gemm(SetUpGemm(flags, device));
  if (options.profile_end > options.profile_begin && !device.is_cuda()) {
    std::fprintf(stderr, "note: --profile-steps applies only to CUDA devices; ignored on %s\n",
                 device.ToString().c_str());
  }
  const std::string data_dir = flags.Get("data");
  const Dataset train = LoadDataset(data_dir, "train", device, flags.GetInt("train-limit", 0, INT64_MAX));
  const Dataset test = LoadDataset(data_dir, "t10k", device, flags.GetInt("test-limit", 0, INT64_MAX));
  LATENT_CHECK(train.features() == test.features(), "train images are ", train.height, "x",
               train.width, " but test images are ", test.height, "x", test.width);
  const ModelShape shape{train.height, train.width, std::max(train.num_classes, test.num_classes)};

  const HyperParams values = ModelValues(info, flags);
  std::unique_ptr<Model> model = info.create(values, shape);
  model->params().Allocate(device, options.seed);
  std::filesystem::create_directories(out);
  const Json config = RunConfig(info, values, shape, options, data_dir);
  std::printf("model %s: %lld parameters; data %s: %lld train, %lld test images of %lldx%lld\n",
              info.name.c_str(), static_cast<long long>(model->params().count()),
              data_dir.c_str(), static_cast<long long>(train.size()),
              static_cast<long long>(test.size()), static_cast<long long>(shape.height),
              static_cast<long long>(shape.width));
  std::fflush(stdout);

  Train(*model, train, test, options, [&](const EpochMetrics& m) {
    std::printf("epoch %d  train_loss %.4f  test_loss %.4f", m.epoch, m.train.loss, m.test.loss);
    for (const auto& [name, v] : m.test.parts) std::printf("  test_%s %.4f", name.c_str(), v);
    std::printf("  time %.2fs\n", m.seconds);
    std::fflush(stdout);
    SaveRun(out, *model, config);  // after every epoch: an interrupted run keeps its last epoch
    AppendMetrics(out, m);
  });

  SaveReconstructions(out + "/reconstructions.png", *model, test, 8, 4);
  try {
    NoGradGuard no_grad;
    SaveImages(out + "/samples.png", model->Sample(64, options.seed, Tensor()), shape.height,
               shape.width, 8);
  } catch (const Error& e) {
    std::printf("no samples.png: %s\n", e.what());
  }
  std::printf("wrote %s/{model.safetensors, config.json, metrics.csv, reconstructions.png%s}\n",
              out.c_str(), std::filesystem::exists(out + "/samples.png") ? ", samples.png" : "");
  return 0;
}

}  // namespace latent

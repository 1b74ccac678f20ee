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
#include "tools/cli/train_flags.h"

namespace latent {

int RunTrain(const Args& args) {
  const ModelInfo& info = FindModel(PeekFlag(args, "model", "vae"));
  Flags flags("train", TrainFlags());
  flags.Add(info.hyperparams);
  if (ParseOrPrintHelp(flags, args)) return 0;
  TrainOptions options = TrainOptionsFromFlags(flags);
  options.progress = isatty(fileno(stderr));
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

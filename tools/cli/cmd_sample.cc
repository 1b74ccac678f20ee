// latent sample: decodes draws from a trained run's prior into a PNG grid.
// latent reconstruct: test images above their reconstructions by a trained run.
#include <cstdio>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "models/train/run_dir.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace latent {

int RunSample(const Args& args) {
  std::vector<FlagSpec> specs = {{"run", "", "run directory written by `latent train`"},
                                 {"n", "64", "number of samples"},
                                 {"cols", "8", "images per row of the grid"},
                                 {"seed", "1", "seed of the prior draws"},
                                 {"out", "", "PNG file to write (default: RUN/samples.png)"}};
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("sample", specs);
  if (ParseOrPrintHelp(flags, args)) return 0;
  LATENT_CHECK(!flags.Get("run").empty(), "--run is required: the directory of a trained run");
  const int64_t n = flags.GetInt("n", 1, 100000);
  const int64_t cols = flags.GetInt("cols", 1, 1000);
  const std::string out =
      flags.Get("out").empty() ? flags.Get("run") + "/samples.png" : flags.Get("out");
  const Device device = SetUpDevice(flags);
  LoadedRun run = LoadRun(flags.Get("run"), device);
  NoGradGuard no_grad;
  const Tensor images =
      run.model->Sample(n, static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX)), Tensor());
  SaveImages(out, images, run.shape.height, run.shape.width, cols);
  std::printf("wrote %lld samples to %s\n", static_cast<long long>(n), out.c_str());
  return 0;
}

int RunReconstruct(const Args& args) {
  std::vector<FlagSpec> specs = {
      {"run", "", "run directory written by `latent train`"},
      {"data", "", "IDX directory (default: the run's training data directory)"},
      {"n", "32", "number of test images"},
      {"cols", "8", "images per row of the grid"},
      {"out", "", "PNG file to write (default: RUN/reconstructions.png)"}};
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("reconstruct", specs);
  if (ParseOrPrintHelp(flags, args)) return 0;
  LATENT_CHECK(!flags.Get("run").empty(), "--run is required: the directory of a trained run");
  const int64_t n = flags.GetInt("n", 1, 100000);
  const int64_t cols = flags.GetInt("cols", 1, 1000);
  const std::string out =
      flags.Get("out").empty() ? flags.Get("run") + "/reconstructions.png" : flags.Get("out");
  const Device device = SetUpDevice(flags);
  LoadedRun run = LoadRun(flags.Get("run"), device);
  const std::string data_dir = flags.Get("data").empty()
                                   ? run.config.At("data").At("dir").AsString()
                                   : flags.Get("data");
  const Dataset test = LoadDataset(data_dir, "t10k", device, n);
  LATENT_CHECK(test.features() == run.shape.features(), "the run's model takes ",
               run.shape.height, "x", run.shape.width, " images; ", data_dir, " holds ",
               test.height, "x", test.width);
  SaveReconstructions(out, *run.model, test, cols, (n + cols - 1) / cols);
  std::printf("wrote %lld test images and their reconstructions to %s\n",
              static_cast<long long>(test.size()), out.c_str());
  return 0;
}

}  // namespace latent

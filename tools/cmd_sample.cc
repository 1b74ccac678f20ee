// latent sample: decodes draws from a trained run's prior into a PNG grid.
#include <cstdio>

#include "core/autograd.h"
#include "models/run_dir.h"
#include "tools/commands.h"
#include "tools/common.h"

namespace latent {

int RunSample(const Args& args) {
  std::vector<FlagSpec> specs = {{"run", "", "run directory written by `latent train`"},
                                 {"n", "64", "number of samples"},
                                 {"cols", "8", "images per row of the grid"},
                                 {"seed", "1", "seed of the prior draws"},
                                 {"out", "", "PNG file to write (default: RUN/samples.png)"}};
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("sample", specs);
  flags.Parse(args);
  if (flags.help()) {
    std::printf("%s", flags.Usage().c_str());
    return 0;
  }
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

}  // namespace latent

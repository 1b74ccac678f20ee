// latent models / latent ops: what the registry and the op table hold. latent info: what this
// build is and which devices it sees.
#include <omp.h>

#include <cstdio>
#include <string>

#include "core/cuda_runtime.h"
#include "core/device.h"
#include "core/op_table.h"
#include "models/model.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/cli/flags.h"

#ifdef LATENT_CUDA_SIM
#include "kernels/sim/launch.h"
#endif

namespace latent {

int RunModels(const Args& args) {
  Flags flags("models", {});
  if (ParseOrPrintHelp(flags, args)) return 0;
  for (const ModelInfo& m : ModelRegistry()) {
    std::printf("%-18s %s\n", m.name.c_str(), m.description.c_str());
    for (const HyperParamSpec& f : m.hyperparams)
      std::printf("%-18s   --%s (default %s): %s\n", "", f.name.c_str(), f.default_value.c_str(),
                  f.help.c_str());
  }
  return 0;
}

int RunOps(const Args& args) {
  Flags flags("ops", {});
  if (ParseOrPrintHelp(flags, args)) return 0;
  std::fputs(OpTableMarkdown().c_str(), stdout);
  return 0;
}

namespace {

#if defined(LATENT_WITH_CUDA) && !defined(LATENT_CUDA_SIM)
// CUDA encodes versions as 1000 * major + 10 * minor; 0 means there is none (no driver).
std::string CudaVersion(int version) {
  if (version <= 0) return "none";
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}
#endif

}  // namespace

int RunInfo(const Args& args) {
  Flags flags("info", {});
  if (ParseOrPrintHelp(flags, args)) return 0;
#if defined(__clang__)
  std::printf("compiler: clang %d.%d.%d\n", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  std::printf("compiler: gcc %s\n", __VERSION__);
#endif
  std::printf("openmp: %d (_OPENMP, the date of the spec it implements)\n", _OPENMP);
#if defined(LATENT_CUDA_SIM)
  std::printf("cuda: simulated on the CPU (LATENT_CUDA=SIM): no GPU is used; results check "
              "correctness, not speed\n");
  // Describe rather than our own wording, so a setting the simulator gains shows up here too.
  std::printf("sim settings: %s\n", sim::Describe(sim::CurrentSettings()).c_str());
#elif defined(LATENT_WITH_CUDA)
  std::printf("cuda: nvcc (real GPUs)\n");
  // With no devices, the versions tell a missing driver ("none") from one older than the runtime.
  int runtime = 0, driver = 0;
  if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) runtime = 0;
  if (cudaDriverGetVersion(&driver) != cudaSuccess) driver = 0;
  cudaGetLastError();  // a failed query must not linger as the sticky error of later calls
  std::printf("cuda runtime: %s\n", CudaVersion(runtime).c_str());
  std::printf("cuda driver: %s\n", CudaVersion(driver).c_str());
#else
  std::printf("cuda: off (built without CUDA)\n");
#endif
  const int devices = CudaDeviceCount();
  std::printf("cuda devices: %d\n", devices);
#ifdef LATENT_WITH_CUDA
  for (int i = 0; i < devices; ++i) {
    cudaDeviceProp prop{};
    const cudaError_t err = cudaGetDeviceProperties(&prop, i);
    if (err != cudaSuccess) {
      std::printf("cuda:%d: (no properties: %s)\n", i, cudaGetErrorString(err));
      cudaGetLastError();
      continue;
    }
#ifdef LATENT_CUDA_SIM
    // The simulator's compute capability and memory are made up; its name says what it is.
    std::printf("cuda:%d: %s\n", i, prop.name);
#else
    std::printf("cuda:%d: %s (sm_%d%d, %.1f GiB)\n", i, prop.name, prop.major, prop.minor,
                static_cast<double>(prop.totalGlobalMem) / (1 << 30));
#endif
  }
#endif
  std::printf("cpu threads: %d\n", omp_get_max_threads());
  return 0;
}

}  // namespace latent

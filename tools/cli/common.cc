#include "tools/cli/common.h"

#include <omp.h>

#include <cstdio>

#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/io/image.h"
#include "core/tensor_math.h"

namespace latent {

bool ParseOrPrintHelp(Flags& flags, const std::vector<std::string>& args) {
  flags.Parse(args);
  if (flags.help()) std::printf("%s", flags.Usage().c_str());
  return flags.help();
}

std::vector<FlagSpec> DeviceFlags() {
  return {{"device", "auto", "auto (a GPU when one is present), cpu, cuda or cuda:N"},
          {"threads", "0", "CPU threads (0: OpenMP's default, all cores)"}};
}

Device SetUpDevice(const Flags& flags) {
  const int64_t threads = flags.GetInt("threads", 0, 4096);
  if (threads > 0) omp_set_num_threads(static_cast<int>(threads));
  const Device device = Device::Parse(flags.Get("device"));
  std::string name = "CPU, " + std::to_string(omp_get_max_threads()) + " threads";
#ifdef LATENT_WITH_CUDA
  if (device.is_cuda()) {
    CudaSetDevice(device.index);
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, device.index) == cudaSuccess) name = prop.name;
  }
#endif
  if (device.is_cuda() && !CudaAvailable())
    LATENT_FAIL("--device ", flags.Get("device"), " asks for a GPU, but none is usable here");
  std::fprintf(stderr, "device: %s (%s)\n", device.ToString().c_str(), name.c_str());
  return device;
}

FlagSpec GemmFlag() {
  return {"gemm", "latent", "GEMM behind matrix products on a GPU: latent (our kernels) or cublas "
                            "(the baseline); no effect on the CPU"};
}

math::CudaGemm SetUpGemm(const Flags& flags, Device device) {
  const bool cublas = flags.GetChoice("gemm", {"latent", "cublas"}) == "cublas";
  if (device.is_cuda()) {
    std::fprintf(stderr, "gemm: %s\n", cublas ? "cuBLAS (baseline)" : "latent");
  } else if (cublas) {
    std::fprintf(stderr, "note: --gemm cublas applies only to CUDA devices; the CPU runs "
                         "latent's own GEMM\n");
  }
  return cublas ? math::CudaGemm::kCublas : math::CudaGemm::kLatent;
}

HyperParams ModelValues(const ModelInfo& info, const Flags& flags) {
  HyperParams values(info.hyperparams);
  for (const HyperParamSpec& spec : info.hyperparams)
    if (flags.IsSet(spec.name)) values.Set(spec.name, flags.Get(spec.name));
  return values;
}

std::string PeekFlag(const std::vector<std::string>& args, const std::string& name,
                     const std::string& fallback) {
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(flag + "=", 0) == 0) return args[i].substr(flag.size() + 1);
  }
  return fallback;
}

void SaveImages(const std::string& path, const Tensor& images, int64_t height, int64_t width,
                int64_t cols) {
  const std::vector<float> pixels = images.ToVector<float>();
  WriteImageGrid(path, pixels.data(), images.size(0), height, width, cols);
}

void SaveReconstructions(const std::string& path, Model& model, const Dataset& data, int64_t cols,
                         int64_t pairs) {
  NoGradGuard no_grad;
  const int64_t n = std::min(cols * pairs, data.size());
  const Tensor x = data.images.Rows(0, n);
  const Tensor r = model.Reconstruct(x, data.labels.Rows(0, n));
  Tensor grid = Tensor::Empty({2 * n, data.features()}, DType::kF32, x.device());
  for (int64_t p = 0; p * cols < n; ++p) {
    const int64_t begin = p * cols, end = std::min(n, begin + cols), k = end - begin;
    grid.Rows(2 * begin, 2 * begin + k).CopyFrom(x.Rows(begin, end));
    grid.Rows(2 * begin + k, 2 * begin + 2 * k).CopyFrom(r.Rows(begin, end));
  }
  SaveImages(path, grid, data.height, data.width, cols);
}

}  // namespace latent

// latent bench: timings measured side by side in one process, reported as medians.
//
//   bench step   one training step (zero grads, forward, backward, Adam) of a model at a batch
//                size, on the chosen device; median over --steps after --warmup steps. On a GPU,
//                --gemm cublas times the same step with cuBLAS behind every matrix product.
//   bench gemm   our GEMM at square sizes and at the VAE's shapes: on a GPU against cuBLAS (FP32),
//                on the CPU against the plain reference loop (small sizes only: it is slow).
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/cuda_runtime.h"
#include "core/io/dataset.h"
#include "core/optim.h"
#include "core/random.h"
#include "core/tensor_math.h"
#include "kernels/gemm.h"
#include "models/model.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace latent {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

// Median milliseconds of fn() over `runs` runs after `warmup` runs, synchronizing the device
// around each so that the time covers the queued GPU work.
template <typename Fn>
double TimeMs(Device device, int warmup, int runs, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  Synchronize(device);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    fn();
    Synchronize(device);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return Median(ms);
}

int BenchStep(const Args& args) {
  std::vector<FlagSpec> specs = {{"model", "vae", "model to time"},
                                 {"batch-size", "128", "examples per step"},
                                 {"steps", "200", "timed steps"},
                                 {"warmup", "20", "untimed steps first"},
                                 {"data", "data/mnist", "IDX directory for the batch (random "
                                                        "pixels when it does not exist)"}};
  const ModelInfo& info = FindModel(PeekFlag(args, "model", "vae"));
  specs.push_back(GemmFlag());
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("bench step", specs);
  flags.Add(info.hyperparams);
  if (ParseOrPrintHelp(flags, args)) return 0;
  const Device device = SetUpDevice(flags);
  const math::CudaGemmScope gemm(SetUpGemm(flags, device));
  const int64_t batch = flags.GetInt("batch-size", 1, 1 << 20);
  Tensor x;
  ModelShape shape;
  try {
    const Dataset data = LoadDataset(flags.Get("data"), "t10k", device, batch);
    x = data.images;
    shape = {data.height, data.width, 10};
  } catch (const Error&) {
    x = RandomUniform({batch, shape.features()}, 1, 0, DType::kF32, device);
  }
  std::unique_ptr<Model> model = info.create(ModelValues(info, flags), shape);
  model->params().Allocate(device, 1);
  Adam adam(model->params(), 1e-3);
  uint64_t step = 0;
  const double ms = TimeMs(device, static_cast<int>(flags.GetInt("warmup", 0, 1000000)),
                           static_cast<int>(flags.GetInt("steps", 1, 1000000)), [&] {
                             adam.ZeroGrad();
                             LossOutput out = model->Loss(x, Tensor(), {1, step++, true});
                             out.loss.Backward();
                             adam.Step();
                           });
  std::printf("bench step: model %s, batch %lld, device %s%s: median %.3f ms per step\n",
              info.name.c_str(), static_cast<long long>(x.size(0)), device.ToString().c_str(),
              device.is_cuda() ? (flags.Get("gemm") == "cublas" ? ", gemm cublas" : ", gemm latent")
                               : "",
              ms);
  std::printf("step_ms %.4f\n", ms);
  return 0;
}

struct GemmShape {
  bool ta, tb;
  int64_t m, n, k;
  const char* what;
};

int BenchGemm(const Args& args) {
  std::vector<FlagSpec> specs = {{"runs", "20", "timed runs per shape"},
                                 {"max-size", "0", "largest square size (0: 8192 on a GPU, "
                                                   "2048 on the CPU)"}};
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("bench gemm", specs);
  if (ParseOrPrintHelp(flags, args)) return 0;
  const Device device = SetUpDevice(flags);
  const int runs = static_cast<int>(flags.GetInt("runs", 1, 100000));
  int64_t max_size = flags.GetInt("max-size", 0, 1 << 16);
  if (max_size == 0) max_size = device.is_cuda() ? 8192 : 2048;
  std::vector<GemmShape> shapes;
  for (int64_t s = 256; s <= max_size; s *= 2) shapes.push_back({false, false, s, s, s, "square"});
  // The VAE at batch 128 (784-400-20): forward y = x W^T (NT), backward dx = dy W (NN) and
  // dW = dy^T x (TN).
  shapes.push_back({false, true, 128, 400, 784, "vae fc1 forward"});
  shapes.push_back({false, true, 128, 784, 400, "vae fc4 forward"});
  shapes.push_back({false, true, 128, 20, 400, "vae fc_mu forward"});
  shapes.push_back({false, false, 128, 400, 784, "vae fc4 dx"});
  shapes.push_back({true, false, 400, 784, 128, "vae fc1 dW"});
  shapes.push_back({true, false, 784, 400, 128, "vae fc4 dW"});

  const char* baseline = device.is_cuda() ? "cublas" : "reference";
  std::printf("%-18s %6s %6s %6s %4s %12s %12s %8s\n", "shape", "M", "N", "K", "op",
              "ours GF/s", "base GF/s", "ratio");
  for (const GemmShape& s : shapes) {
    const Tensor a = RandomUniform(s.ta ? Shape{s.k, s.m} : Shape{s.m, s.k}, 1, 1, DType::kF32, device);
    const Tensor b = RandomUniform(s.tb ? Shape{s.n, s.k} : Shape{s.k, s.n}, 1, 2, DType::kF32, device);
    Tensor c = Tensor::Empty({s.m, s.n}, DType::kF32, device);
    const double flop = 2.0 * s.m * s.n * s.k;
    auto run = [&](bool ours) {
      if (device.is_cuda()) {
        const math::CudaGemmScope gemm(ours ? math::CudaGemm::kLatent : math::CudaGemm::kCublas);
        math::GemmInto(a, s.ta, b, s.tb, c);
      } else if (ours) {
        math::GemmInto(a, s.ta, b, s.tb, c);
      } else {
        kernels::GemmRefCpu<float>(s.ta, s.tb, s.m, s.n, s.k, 1.0f, a.data<float>(), a.size(1),
                                   b.data<float>(), b.size(1), 0.0f, c.data<float>(), s.n);
      }
    };
    const double ours = flop / TimeMs(device, 3, runs, [&] { run(true); }) / 1e6;
    // The reference loop is too slow for large CPU problems; skip it there.
    const bool base_ok = device.is_cuda() || flop <= 2.0 * 512 * 512 * 512;
    const double base = base_ok ? flop / TimeMs(device, 1, std::min(runs, 3), [&] { run(false); }) / 1e6 : 0.0;
    std::printf("%-18s %6lld %6lld %6lld %c%c %12.1f %12s %8s\n", s.what,
                static_cast<long long>(s.m), static_cast<long long>(s.n),
                static_cast<long long>(s.k), s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', ours,
                base_ok ? std::to_string(static_cast<int>(base)).c_str() : "-",
                base_ok ? std::to_string(ours / base).substr(0, 5).c_str() : "-");
  }
  std::printf("baseline: %s\n", baseline);
  return 0;
}

}  // namespace

int RunBench(const Args& args) {
  const std::string what = args.empty() ? "" : args[0];
  const Args rest(args.empty() ? args.begin() : args.begin() + 1, args.end());
  if (what == "step") return BenchStep(rest);
  if (what == "gemm") return BenchGemm(rest);
  LATENT_FAIL("bench expects 'step' or 'gemm', found '", what, "'");
}

}  // namespace latent

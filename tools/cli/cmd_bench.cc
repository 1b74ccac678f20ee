// latent bench: timings measured side by side in one process, reported as medians.
//
//   bench step   one training step (zero grads, forward, backward, Adam) of a model at a batch
//                size, on the chosen device; median over --steps after --warmup steps, then the
//                medians of its three phases over as many steps again. On a GPU, --gemm cublas
//                times the same step with cuBLAS behind every matrix product.
//   bench iwae   the importance-weighted log-likelihood estimate of `latent eval` (k samples per
//                image, decoded in chunks) on the first test images, timed once from end to end.
//   bench gemm   our GEMM at square sizes and at the VAE's shapes: on a GPU against cuBLAS (FP32),
//                on the CPU against the plain reference loop (small sizes only: it is slow).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "core/io/dataset.h"
#include "core/optim.h"
#include "core/random.h"
#include "core/tensor_math.h"
#include "kernels/error.h"
#include "kernels/gemm.h"
#include "models/model.h"
#include "models/vae/vae_core.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/eval/iwae.h"

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
                                 {"steps", "200", "timed steps (then as many, phase by phase)"},
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
  const int steps = static_cast<int>(flags.GetInt("steps", 1, 1000000));
  const double ms = TimeMs(device, static_cast<int>(flags.GetInt("warmup", 0, 1000000)), steps,
                           [&] {
                             adam.ZeroGrad();
                             LossOutput out = model->Loss(x, Tensor(), {1, step++, true});
                             out.loss.Backward();
                             adam.Step();
                           });
  // Then as many steps again, the device synchronized after each phase (as the trainer's NVTX
  // ranges split them): where the step's time goes, without a profiler.
  std::vector<double> phase_ms[3];
  for (int i = 0; i < steps; ++i) {
    const auto t0 = Clock::now();
    LossOutput out = model->Loss(x, Tensor(), {1, step++, true});
    Synchronize(device);
    const auto t1 = Clock::now();
    adam.ZeroGrad();
    out.loss.Backward();
    Synchronize(device);
    const auto t2 = Clock::now();
    adam.Step();
    Synchronize(device);
    const auto t3 = Clock::now();
    phase_ms[0].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    phase_ms[1].push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    phase_ms[2].push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
  }
  const double forward = Median(phase_ms[0]), backward = Median(phase_ms[1]),
               optimizer = Median(phase_ms[2]);
  // The parameter count lets a peer's shape be checked against ours (bench/pytorch_vae.py).
  std::printf(
      "bench step: model %s (%lld parameters), batch %lld, device %s%s: "
      "median %.3f ms per step\n",
      info.name.c_str(), static_cast<long long>(model->params().count()),
      static_cast<long long>(x.size(0)), device.ToString().c_str(),
      device.is_cuda() ? (flags.Get("gemm") == "cublas" ? ", gemm cublas" : ", gemm latent") : "",
      ms);
  std::printf("step_ms %.4f\n", ms);
  std::printf(
      "phases_ms forward %.4f backward %.4f optimizer %.4f (optimizer %.1f%% of the three)\n",
      forward, backward, optimizer, 100.0 * optimizer / (forward + backward + optimizer));
  return 0;
}

int BenchIwae(const Args& args) {
  std::vector<FlagSpec> specs = {
      {"model", "vae", "VAE to time, as initialized (the FLOPs do not depend on trained weights)"},
      {"images", "1000", "test images to score (the first ones)"},
      {"samples", "5000", "importance samples per image (k)"},
      {"chunk", "500",
       "importance samples decoded per image in one batch (as eval's --iwae-chunk)"},
      {"seed", "1", "seed of the binarization and of the importance samples"},
      {"binarize", "true",
       "binarize the images as eval does for a binarized run (false: grey levels)"},
      {"data", "data/mnist",
       "IDX directory for the images (random pixels when it does not exist)"}};
  const ModelInfo& info = FindModel(PeekFlag(args, "model", "vae"));
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("bench iwae", specs);
  // A model hyperparameter named like one of the flags above (iwae's training-time --samples) is
  // left at its default: it does not enter the estimate, whose k is the flag's.
  std::vector<HyperParamSpec> shape_specs;
  for (const HyperParamSpec& spec : info.hyperparams)
    if (!flags.Has(spec.name)) shape_specs.push_back(spec);
  flags.Add(shape_specs);
  if (ParseOrPrintHelp(flags, args)) return 0;
  const int64_t n = flags.GetInt("images", 1, 1 << 20);
  const int64_t k = flags.GetInt("samples", 1, 1 << 24);
  const int64_t chunk = flags.GetInt("chunk", 1, 1 << 20);
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  const bool binarize = flags.GetBool("binarize");
  const Device device = SetUpDevice(flags);

  Dataset test;
  std::string source = flags.Get("data") + " t10k";
  try {
    test = LoadDataset(flags.Get("data"), "t10k", device, n);
  } catch (const Error&) {
    // The estimate's time does not depend on the pixel values, only on their number.
    test.height = test.width = 28;
    test.num_classes = 10;
    test.images = RandomUniform({n, test.features()}, seed, 0, DType::kF32, device);
    test.labels = Tensor::Zeros({n}, DType::kI32, device);
    source = "random pixels (no data)";
  }
  LATENT_CHECK(test.size() == n, "--images ", n, ": ", flags.Get("data"), " holds only ",
               test.size(), " test images");
  const Dataset scored = binarize ? BinarizeTestSet(test, seed) : test;

  HyperParams values(info.hyperparams);
  for (const HyperParamSpec& spec : shape_specs)
    if (flags.IsSet(spec.name)) values.Set(spec.name, flags.Get(spec.name));
  std::unique_ptr<Model> model = info.create(values, {test.height, test.width, test.num_classes});
  auto* vae = dynamic_cast<VaeCore*>(model.get());
  LATENT_CHECK(
      vae != nullptr, "--model ", info.name,
      " has no likelihood to estimate: expected a VAE (vae, beta-vae, cvae, conv-vae, ...)");
  model->params().Allocate(device, 1);

  Synchronize(device);
  const auto start = Clock::now();
  const std::vector<double> log_px =
      IwaeLogLikelihoods(*vae, scored.images, scored.labels, k, seed, chunk);
  Synchronize(device);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double nll = -std::accumulate(log_px.begin(), log_px.end(), 0.0) / n;

  std::printf(
      "bench iwae: model %s (%lld parameters), %lld images (%s, %s), k %lld in chunks of %lld, "
      "device %s: mean nll %.3f nats\n",
      info.name.c_str(), static_cast<long long>(model->params().count()), static_cast<long long>(n),
      source.c_str(), binarize ? "binarized" : "grey levels", static_cast<long long>(k),
      static_cast<long long>(std::min(chunk, k)), device.ToString().c_str(), nll);
  std::printf("images_per_s %.3f\n", n / seconds);
  std::printf("iwae_s %.4f\n", seconds);
  return 0;
}

struct GemmShape {
  bool ta, tb;
  int64_t m, n, k;
  const char* what;
};

int BenchGemm(const Args& args) {
  std::vector<FlagSpec> specs = {{"runs", "20", "timed runs per shape"},
                                 {"max-size", "0",
                                  "largest square size (0: 8192 on a GPU, "
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
  if (what == "iwae") return BenchIwae(rest);
  if (what == "gemm") return BenchGemm(rest);
  LATENT_FAIL("bench expects 'step', 'iwae' or 'gemm', found '", what, "'");
}

}  // namespace latent

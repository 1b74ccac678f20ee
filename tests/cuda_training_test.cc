// Whole training steps on the GPU against the CPU, the specification. For every registered model,
// one step (loss, backward, one Adam update) from the same seed and the same MNIST batch gives the
// same loss, gradients and updated parameters on both devices; training on the GPU is bitwise
// reproducible over many steps; and evaluation (its reductions, its Philox noise) matches the CPU.
//
// Every test skips when no GPU is usable, in a build without CUDA as well (CudaAvailable() is then
// false), and when MNIST is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/optim.h"
#include "core/random.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

constexpr int64_t kBatch = 64;
constexpr uint64_t kSeed = 11;
constexpr double kLr = 1e-3;  // the Adam defaults of core/optim.h and TrainOptions
constexpr double kAdamEps = 1e-8;
const ModelShape kMnist{28, 28, 10};

// Why the tests of this file cannot run here, or "" when they can; sets `mnist_dir`.
std::string WhyNotRunnable(std::string* mnist_dir) {
  if (!CudaAvailable()) {
#ifdef LATENT_WITH_CUDA
    return "no usable CUDA device: the CPU-vs-GPU training tests need a GPU";
#else
    return "this build has no CUDA support (LATENT_CUDA=OFF): the CPU-vs-GPU training tests need "
           "a CUDA build and a GPU";
#endif
  }
  *mnist_dir = latent::testing::MnistDir();
  if (mnist_dir->empty()) return "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  return "";
}

template <typename Base>
class NeedsGpuAndMnist : public Base {
 protected:
  void SetUp() override {
    const std::string why = WhyNotRunnable(&dir_);
    if (!why.empty()) GTEST_SKIP() << why;
  }
  std::string dir_;
};

using CudaTraining = NeedsGpuAndMnist<::testing::Test>;
using CudaTrainingStep = NeedsGpuAndMnist<::testing::TestWithParam<std::string>>;

// Training steps as Train() runs them (models/train/trainer.cc): dynamic binarization, forward,
// backward, one Adam update, on minibatches in a seeded order. Returns each step's loss.
std::vector<float> TrainSteps(Model& model, const Dataset& data, int64_t steps) {
  Adam adam(model.params(), kLr, 0.9, 0.999, kAdamEps);
  BatchSampler batches(data, kBatch, /*shuffle=*/true, kSeed, /*epoch=*/1);
  std::vector<Tensor> losses;
  for (int64_t step = 0; step < steps; ++step) {
    const uint64_t s = static_cast<uint64_t>(step);
    const Tensor x = Bernoulli(batches.Images(step), kSeed, StreamOffset(Stream::kBinarize, s));
    const LossOutput out = model.Loss(x, batches.Labels(step), {kSeed, s, true});
    adam.ZeroGrad();
    out.loss.Backward();
    adam.Step();
    // Read after the loop, so nothing synchronizes inside it (as in Train()).
    losses.push_back(out.loss.Clone());
  }
  std::vector<float> host;
  for (const Tensor& loss : losses) host.push_back(loss.ToVector<float>()[0]);
  return host;
}

double Mean(const std::vector<float>& v, size_t begin, size_t end) {
  double sum = 0.0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / static_cast<double>(end - begin);
}

// Index of the first element whose bits differ, or -1 when the two are bitwise identical.
int64_t FirstBitDifference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<int64_t>(i);
  return -1;
}

// ---- one step on each device -----------------------------------------------------------------

// What one training step produced, copied to the host. Gradients are read before Adam's update.
struct StepResult {
  double loss = 0.0;
  std::vector<std::pair<std::string, double>> parts;
  std::vector<std::string> names;
  std::vector<std::vector<float>> initial, grads, values;
};

StepResult RunOneStep(const std::string& model_name, Device device, const std::string& dir) {
  const Dataset batch = LoadDataset(dir, "train", device, kBatch);  // the first 64 images
  std::unique_ptr<Model> model = latent::testing::MakeModel(model_name, kMnist);
  Parameters& params = model->params();
  params.Allocate(device, kSeed);
  Adam adam(params, kLr, 0.9, 0.999, kAdamEps);
  StepResult r;
  for (int i = 0; i < params.size(); ++i) {
    r.names.push_back(params.name(i));
    r.initial.push_back(params[i].ToVector<float>());
  }
  adam.ZeroGrad();
  const LossOutput out = model->Loss(batch.images, batch.labels, {kSeed, 0, true});
  out.loss.Backward();
  r.loss = out.loss.item();
  for (const auto& [name, value] : out.parts) r.parts.emplace_back(name, value.item());
  for (int i = 0; i < params.size(); ++i) r.grads.push_back(params[i].grad().ToVector<float>());
  adam.Step();
  for (int i = 0; i < params.size(); ++i) r.values.push_back(params[i].ToVector<float>());
  return r;
}

// Both devices compute in float32 with different summation orders: the CPU's blocked GEMM and
// double-precision reductions, the GPU's GEMM tiles and tree reductions (deterministic, but in
// another order). Such sums differ by about sqrt(K) * 6e-8 of the magnitude of their terms (K up
// to 784 here: ~2e-6), compounded over a few layers forward and back. 1e-4 of the tensor's
// largest magnitude leaves a margin of over 10x, while a wrong index, transpose, missing term or
// scale is off by a fair fraction of that magnitude.
constexpr double kTensorTol = 1e-4;
// The loss sums 64 x 784 per-pixel terms whose rounding errors have random signs, so the two
// totals agree to ~1e-6 relative (float32 against float64 on the CPU: under 1e-7 for every
// model), 10x inside 1e-5; a few wrong pixel terms (each ~2e-5 of the total), a wrong scale or
// other noise do not pass. Gradients catch what is smaller.
// Parts are held to the same relative bound, with a floor of 1 for small ones (a KL of ~2 nats
// at initialization, itself a sum of terms with cancellation).
constexpr double kLossRtol = 1e-5;
double PartTolerance(double part) { return kLossRtol * std::max(std::fabs(part), 1.0); }

// Adam's first update moves p by lr m^ / (sqrt(v^) + eps) with the bias-corrected moments m^ = g
// and v^ = g^2, i.e. by lr g / (|g| + eps): nearly lr sign(g). Where the two devices' gradients
// agree to the tolerance above but straddle zero, their updates rightly differ by up to 2 lr. So
// each updated value may differ by what the two gradients explain through this formula, plus the
// tensor tolerance; a wrong update (moments, bias correction, lr, sign) is off by ~lr everywhere.
double AdamFirstStep(double g) { return kLr * g / (std::fabs(g) + kAdamEps); }

double MaxAbs(const std::vector<float>& v) {
  double m = 0.0;
  for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
  return m;
}

// The element of one tensor furthest over its allowance (ratio |diff| / allowance; > 1 fails).
struct Worst {
  double ratio = -1.0;
  size_t index = 0;
  float cpu = 0.0f, cuda = 0.0f;
  size_t failing = 0;  // how many elements are over their allowance
};

// `allowance(k)` is the largest difference element k may show. NaN never passes.
template <typename Allowance>
Worst Compare(const std::vector<float>& cpu, const std::vector<float>& cuda, Allowance allowance) {
  Worst w;
  size_t failing = 0;
  for (size_t k = 0; k < cpu.size(); ++k) {
    const double diff = std::fabs(static_cast<double>(cpu[k]) - static_cast<double>(cuda[k]));
    const double allowed = allowance(k);
    const bool pass = diff <= allowed;
    double ratio = allowed > 0.0 ? diff / allowed : (diff == 0.0 ? 0.0 : HUGE_VAL);
    if (!pass) {
      ++failing;
      if (!(ratio > 1.0)) ratio = HUGE_VAL;  // NaN
    }
    if (ratio > w.ratio) w = {ratio, k, cpu[k], cuda[k], 0};
  }
  w.failing = failing;
  return w;
}

// Compares one field (gradients or updated values) of every parameter; the message names the
// parameter that differs most, relative to its allowance.
template <typename Field, typename AllowanceFor>
::testing::AssertionResult AllParametersClose(const StepResult& cpu, const StepResult& cuda,
                                              const std::string& what, Field field,
                                              AllowanceFor allowance_for) {
  size_t worst_param = 0, bad_params = 0;
  Worst worst;
  for (size_t i = 0; i < cpu.names.size(); ++i) {
    const std::vector<float>& a = field(cpu)[i];
    const std::vector<float>& b = field(cuda)[i];
    if (a.size() != b.size()) {
      return ::testing::AssertionFailure() << what << " of " << cpu.names[i] << ": " << a.size()
                                           << " elements on the CPU, " << b.size() << " on CUDA";
    }
    const Worst w = Compare(a, b, allowance_for(i));
    if (w.failing > 0) ++bad_params;
    if (w.ratio > worst.ratio) {
      worst = w;
      worst_param = i;
    }
  }
  if (bad_params == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << " differ in " << bad_params << " of " << cpu.names.size()
         << " parameters; most in " << cpu.names[worst_param] << " (" << worst.failing << " of "
         << field(cpu)[worst_param].size() << " elements over tolerance), at [" << worst.index
         << "]: cpu " << worst.cpu << ", cuda " << worst.cuda << ", |diff| / allowance "
         << worst.ratio;
}

TEST_P(CudaTrainingStep, OneStepMatchesCpu) {
  const StepResult cpu = RunOneStep(GetParam(), Device::Cpu(), dir_);
  const StepResult cuda = RunOneStep(GetParam(), Device::Cuda(), dir_);
  ASSERT_EQ(cpu.names, cuda.names);
  for (size_t i = 0; i < cpu.names.size(); ++i) {
    const int64_t k = FirstBitDifference(cpu.initial[i], cuda.initial[i]);
    ASSERT_EQ(k, -1) << "Allocate(device, seed) gives " << cpu.names[i]
                     << " other initial values on CUDA than on the CPU, first at [" << k << "]";
  }

  EXPECT_NEAR(cuda.loss, cpu.loss, kLossRtol * std::fabs(cpu.loss)) << "loss";
  ASSERT_EQ(cpu.parts.size(), cuda.parts.size());
  for (size_t i = 0; i < cpu.parts.size(); ++i) {
    EXPECT_EQ(cpu.parts[i].first, cuda.parts[i].first);
    EXPECT_NEAR(cuda.parts[i].second, cpu.parts[i].second, PartTolerance(cpu.parts[i].second))
        << "loss part " << cpu.parts[i].first;
  }

  double largest_gradient = 0.0;
  for (const std::vector<float>& g : cpu.grads)
    largest_gradient = std::max(largest_gradient, MaxAbs(g));
  ASSERT_GT(largest_gradient, 0.0) << "an all-zero gradient compares nothing";

  auto grads = [](const StepResult& r) -> const std::vector<std::vector<float>>& {
    return r.grads;
  };
  auto values = [](const StepResult& r) -> const std::vector<std::vector<float>>& {
    return r.values;
  };
  EXPECT_TRUE(AllParametersClose(cpu, cuda, "gradients", grads, [&](size_t i) {
    const double allowed = kTensorTol * std::max(MaxAbs(cpu.grads[i]), MaxAbs(cuda.grads[i]));
    return [allowed](size_t) { return allowed; };
  }));
  EXPECT_TRUE(AllParametersClose(cpu, cuda, "updated parameters", values, [&](size_t i) {
    const double tol = kTensorTol * std::max(MaxAbs(cpu.values[i]), MaxAbs(cuda.values[i]));
    const std::vector<float>& g_cpu = cpu.grads[i];
    const std::vector<float>& g_cuda = cuda.grads[i];
    return [tol, &g_cpu, &g_cuda](size_t k) {
      return tol + std::fabs(AdamFirstStep(g_cpu[k]) - AdamFirstStep(g_cuda[k]));
    };
  }));
}

std::vector<std::string> RegisteredModels() {
  std::vector<std::string> names;
  for (const ModelInfo& m : ModelRegistry()) names.push_back(m.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registry, CudaTrainingStep, ::testing::ValuesIn(RegisteredModels()),
                         [](const auto& info) {
                           std::string name = info.param;  // gtest names allow no '-'
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

// ---- reproducibility over many steps -------------------------------------------------------

// Trains `model_name` on the GPU for `steps` steps twice from one seed: no atomics in the
// training path (DESIGN.md), so every step's loss and the final parameters must be identical bit
// for bit. The loss must also fall, so the runs compared are real training.
void ExpectBitwiseReproducible(const std::string& model_name, const std::string& dir,
                               int64_t steps, double fall) {
  const Dataset train = LoadDataset(dir, "train", Device::Cuda(), steps * kBatch);
  auto run = [&](std::vector<float>* losses) {
    std::unique_ptr<Model> model = latent::testing::MakeModel(model_name, kMnist);
    model->params().Allocate(Device::Cuda(), kSeed);
    *losses = TrainSteps(*model, train, steps);
    return model->params().flat_values().ToVector<float>();
  };
  std::vector<float> losses_a, losses_b;
  const std::vector<float> params_a = run(&losses_a);
  const std::vector<float> params_b = run(&losses_b);

  ASSERT_EQ(losses_a.size(), static_cast<size_t>(steps));
  for (float loss : losses_a) ASSERT_TRUE(std::isfinite(loss)) << model_name << " diverged";
  const size_t window = static_cast<size_t>(steps) / 5;
  EXPECT_LT(Mean(losses_a, losses_a.size() - window, losses_a.size()),
            fall * Mean(losses_a, 0, window))
      << model_name << ": the loss of the last " << window << " steps did not fall below " << fall
      << " of the first " << window << "'s";

  const int64_t step = FirstBitDifference(losses_a, losses_b);
  EXPECT_EQ(step, -1) << model_name << ": the loss of step " << step << " differs: "
                      << losses_a[std::max<int64_t>(step, 0)] << " vs "
                      << losses_b[std::max<int64_t>(step, 0)];
  const int64_t k = FirstBitDifference(params_a, params_b);
  EXPECT_EQ(k, -1) << model_name << ": after " << steps << " steps the flat parameter buffer "
                   << "differs first at element " << k;
}

// 100 steps of batch 64: on the CPU the VAE's loss per image averages ~342 over the first 20
// steps and ~193 over the last 20 (a ratio of 0.56); an untrained or broken step stays near 1.
TEST_F(CudaTraining, HundredStepsAreBitwiseReproducible) {
  ExpectBitwiseReproducible("vae", dir_, 100, 0.75);
}

// The convolutional VAE runs the convolution kernels (forward and both backward passes) many
// times in 20 steps; on the CPU its loss per image falls from ~492 (first 4 steps) to ~310 (last
// 4), a ratio of 0.63.
TEST_F(CudaTraining, ConvVaeTwentyStepsAreBitwiseReproducible) {
  ExpectBitwiseReproducible("conv-vae", dir_, 20, 0.8);
}

// ---- evaluation ----------------------------------------------------------------------------

// A VAE trained briefly on the CPU, then copied to the GPU, evaluated on both devices over 500
// test images in batches of 128 (a ragged last batch), as grey levels and binarized: Evaluate's
// device-side loss totals, the test set's Bernoulli draws and the VAE's Philox noise must agree.
TEST_F(CudaTraining, EvaluateMatchesCpu) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 20 * kBatch);
  const Dataset test_cpu = LoadDataset(dir_, "t10k", Device::Cpu(), 500);
  const Dataset test_cuda = LoadDataset(dir_, "t10k", Device::Cuda(), 500);
  std::unique_ptr<Model> cpu = latent::testing::MakeModel("vae", kMnist);
  cpu->params().Allocate(Device::Cpu(), kSeed);
  TrainSteps(*cpu, train, 20);  // a decoder that reacts to its code, unlike a random one
  std::unique_ptr<Model> cuda = latent::testing::MakeModel("vae", kMnist);
  cuda->params().Allocate(Device::Cuda(), kSeed);
  cuda->params().FromArrays(cpu->params().ToArrays(), "the CPU model");

  for (const bool binarize : {false, true}) {
    SCOPED_TRACE(binarize ? "binarized" : "grey levels");
    const Dataset scored_cpu = binarize ? BinarizeTestSet(test_cpu, kSeed) : test_cpu;
    const Dataset scored_cuda = binarize ? BinarizeTestSet(test_cuda, kSeed) : test_cuda;
    const Evaluation want = Evaluate(*cpu, scored_cpu, 128, kSeed);
    const Evaluation got = Evaluate(*cuda, scored_cuda, 128, kSeed);
    // Per-image means of sums over 500 x 784 pixels: as for one step's loss.
    EXPECT_NEAR(got.loss, want.loss, kLossRtol * std::fabs(want.loss));
    ASSERT_EQ(got.parts.size(), want.parts.size());
    for (const auto& [name, value] : want.parts) {
      ASSERT_EQ(got.parts.count(name), 1u) << name;
      EXPECT_NEAR(got.parts.at(name), value, PartTolerance(value)) << name;
    }
    // Another seed's noise moves the loss by 10x the tolerance or more (on the CPU: 4.4e-4
    // relative, 8.1e-4 on binarized images), and so does another binarization of the test set
    // (7.8e-4), so agreement above means both devices drew the same numbers.
    const Evaluation other = Evaluate(*cpu, scored_cpu, 128, kSeed + 1);
    EXPECT_GT(std::fabs(other.loss - want.loss), 10 * kLossRtol * std::fabs(want.loss));
    if (binarize) {
      const Evaluation redrawn = Evaluate(*cpu, BinarizeTestSet(test_cpu, kSeed + 1), 128, kSeed);
      EXPECT_GT(std::fabs(redrawn.loss - want.loss), 10 * kLossRtol * std::fabs(want.loss));
    }
  }
}

}  // namespace
}  // namespace latent

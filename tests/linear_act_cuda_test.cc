// The fused linear layer on a GPU: GemmBiasActCuda (kernels/cuda/gemm.cu) against the f64
// reference at odd and real shapes, padded and misaligned, with and without a bias; against the
// unfused CUDA kernels it replaces; and the LinearAct op on CUDA against the CPU and against the
// unfused ops, with our GEMM and with cuBLAS (which runs GEMM, bias and activation unfused).
//
// Tolerances are |got - want| <= atol + rtol |want|-style bounds, each with a comment on how it
// was chosen. One float ulp is at most 2^-23 ~ 1.2e-7 of the value.
//
// Every test skips on a machine without a GPU; without LATENT_WITH_CUDA the file is empty.
#ifdef LATENT_WITH_CUDA

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/device.h"
#include "core/ops.h"
#include "core/tensor_math.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"

namespace latent {
namespace {

using kernels::Activation;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kUlp = 1.0 / (1 << 24);  // u = 2^-24, the unit roundoff of float

const Activation kActivations[] = {Activation::kIdentity, Activation::kRelu,
                                   Activation::kSigmoid};

const char* Name(Activation act) {
  return act == Activation::kIdentity ? "identity" : act == Activation::kRelu ? "relu" : "sigmoid";
}

std::vector<float> RandomVector(size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A (rows, cols) matrix on the GPU, stored with row stride ld after `shift` floats (so `shift`
// = 1 puts every row off 16-byte alignment); every float that is not an element is NaN, so a
// kernel that reads padding or writes outside the matrix shows. Use data<float>() + shift.
Tensor Upload(const std::vector<float>& x, int64_t rows, int64_t cols, int64_t ld, int64_t shift) {
  std::vector<float> stored(std::max<int64_t>(1, shift + rows * ld), kNaN);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) stored[shift + r * ld + c] = x[r * cols + c];
  return Tensor::FromVector(stored, {static_cast<int64_t>(stored.size())}).To(Device::Cuda());
}

// The (rows, cols) elements of a matrix stored as Upload stores it; *padding_ok: whether every
// other float is still NaN.
std::vector<float> Download(const Tensor& stored, int64_t rows, int64_t cols, int64_t ld,
                            int64_t shift, bool* padding_ok) {
  const std::vector<float> all = stored.ToVector<float>();
  std::vector<float> out(rows * cols);
  *padding_ok = true;
  for (int64_t i = 0; i < static_cast<int64_t>(all.size()); ++i) {
    const int64_t r = (i - shift) / ld, c = (i - shift) % ld;
    if (i >= shift && r < rows && c < cols)
      out[r * cols + c] = all[i];
    else if (!std::isnan(all[i]))
      *padding_ok = false;
  }
  return out;
}

struct Sizes {
  int64_t M, N, K;  // A: (M, K), B: (N, K), C: (M, N); for a layer: batch, out, in
};
// Odd sizes; K == 0 (C = act(bias)); the VAE's layers at batch 128: encoder 784 -> 400, the
// latent heads 400 -> 20, decoder 20 -> 400 and 400 -> 784; (1500, 1500, 67): 144 tiles of
// 128 x 128, the big-tile path on any GPU with at most 144 SMs.
const Sizes kShapes[] = {{1, 1, 1},       {7, 7, 7},       {1, 1000, 31},    {31, 127, 7},
                         {127, 31, 784},  {1000, 7, 31},   {3, 5, 0},        {128, 400, 784},
                         {128, 20, 400},  {128, 400, 20},  {128, 784, 400},  {1500, 1500, 67}};

TEST(CudaLinearActTest, KernelMatchesReference) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(1105);
  struct Variant {
    const char* name;
    int64_t pad, shift;  // extra floats per row; floats before the first element
    bool bias;
  };
  // aligned: float4 loads and stores where the sizes allow; ragged: odd leading dimensions and
  // every pointer one float off 16-byte alignment (scalar loads and stores throughout).
  const Variant variants[] = {
      {"aligned", 0, 0, true}, {"ragged", 3, 1, true}, {"no bias", 0, 0, false}};
  for (const Sizes& s : kShapes) {
    const int64_t M = s.M, N = s.N, K = s.K;
    const std::vector<float> a = RandomVector(M * K, -1.0f, 1.0f, rng);  // (M, K)
    const std::vector<float> b = RandomVector(N * K, -1.0f, 1.0f, rng);  // (N, K)
    const std::vector<float> bias = RandomVector(N, -1.0f, 1.0f, rng);   // (N)
    for (const Variant& v : variants) {
      // z = A B^T + bias in double, and the error bound of the float sum: within
      // (K + 4) u (|A| |B|^T + |bias|) of the exact one (K roundings of the dot product in any
      // order, FMA or not, plus the bias add), as in tests/cuda_kernels_test.cc's GEMM test.
      std::vector<double> z(M * N), bound(M * N);
      for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < N; ++j) {
          double sum = v.bias ? bias[j] : 0.0, abs_sum = v.bias ? std::fabs(bias[j]) : 0.0;
          for (int64_t k = 0; k < K; ++k) {
            sum += static_cast<double>(a[i * K + k]) * b[j * K + k];
            abs_sum += std::fabs(static_cast<double>(a[i * K + k]) * b[j * K + k]);
          }
          z[i * N + j] = sum;
          bound[i * N + j] = (K + 4) * kUlp * abs_sum;
        }
      }
      const int64_t lda = K + v.pad, ldb = K + v.pad, ldc = N + v.pad;
      const Tensor a_dev = Upload(a, M, K, lda, v.shift), b_dev = Upload(b, N, K, ldb, v.shift);
      const Tensor bias_dev = Upload(bias, 1, N, N, v.shift);
      for (Activation act : kActivations) {
        SCOPED_TRACE(::testing::Message() << Name(act) << ", M " << M << ", N " << N << ", K "
                                          << K << ", " << v.name);
        Tensor c_dev = Upload(std::vector<float>(M * N, kNaN), M, N, ldc, v.shift);
        kernels::GemmBiasActCuda(M, N, K, a_dev.data<float>() + v.shift, lda,
                                 b_dev.data<float>() + v.shift, ldb,
                                 v.bias ? bias_dev.data<float>() + v.shift : nullptr, act,
                                 c_dev.data<float>() + v.shift, ldc);
        bool padding_ok = false;
        const std::vector<float> got = Download(c_dev, M, N, ldc, v.shift, &padding_ok);
        EXPECT_TRUE(padding_ok) << "GemmBiasActCuda wrote outside C";
        // relu is 1-Lipschitz and sigmoid 1/4-Lipschitz, so the error of z carries over at most
        // whole; sigmoid adds its own rounding (CUDA's expf within 2 ulp, then an add and a
        // divide: rtol 1e-6, 8 ulp, as for the elementwise kernels).
        size_t bad = 0, first = 0;
        double first_want = 0.0;
        for (int64_t i = 0; i < M * N; ++i) {
          const double s = 1.0 / (1.0 + std::exp(-z[i]));
          const double want = act == Activation::kIdentity ? z[i]
                              : act == Activation::kRelu   ? std::max(z[i], 0.0)
                                                           : s;
          const double tol = bound[i] + (act == Activation::kSigmoid ? 1e-6 * s : 0.0);
          if (!(std::fabs(got[i] - want) <= tol) && bad++ == 0) {
            first = static_cast<size_t>(i);
            first_want = want;
          }
        }
        EXPECT_EQ(bad, 0u) << "first bad C[" << first / N << ", " << first % N << "]: got "
                           << got[first] << ", want " << first_want;
      }
    }
  }
}

// Fused against unfused on the device: GemmCuda, AddBiasRowsCuda, UnaryForwardCuda. alpha is 1,
// so `1 * acc + bias` rounds once whether or not nvcc fuses it into an FMA, and relu is exact: the
// fused result must be bitwise equal. sigmoid inlines the same SigmoidOf in two
// kernels; the compiler may schedule expf's arithmetic differently in each: 1 ulp allowed.
TEST(CudaLinearActTest, KernelEqualsUnfusedKernels) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(1106);
  for (const Sizes& s : {Sizes{128, 400, 784}, Sizes{128, 784, 400}, Sizes{31, 127, 7}}) {
    const int64_t M = s.M, N = s.N, K = s.K;
    const Tensor a = Tensor::FromVector(RandomVector(M * K, -1, 1, rng), {M, K}).To(Device::Cuda());
    const Tensor b = Tensor::FromVector(RandomVector(N * K, -1, 1, rng), {N, K}).To(Device::Cuda());
    const Tensor bias = Tensor::FromVector(RandomVector(N, -1, 1, rng), {N}).To(Device::Cuda());
    for (Activation act : kActivations) {
      SCOPED_TRACE(::testing::Message() << Name(act) << ", M " << M << ", N " << N << ", K " << K);
      Tensor fused = Tensor::Empty({M, N}, DType::kF32, Device::Cuda());
      Tensor plain = Tensor::Empty({M, N}, DType::kF32, Device::Cuda());
      kernels::GemmBiasActCuda(M, N, K, a.data<float>(), K, b.data<float>(), K,
                               bias.data<float>(), act, fused.data<float>(), N);
      kernels::GemmCuda(false, true, M, N, K, 1.0f, a.data<float>(), K, b.data<float>(), K, 0.0f,
                        plain.data<float>(), N);
      kernels::AddBiasRowsCuda(M, N, bias.data<float>(), plain.data<float>());
      if (act != Activation::kIdentity)
        kernels::UnaryForwardCuda(act, M * N, 0.0f, plain.data<float>(), plain.data<float>());
      const std::vector<float> f = fused.ToVector<float>(), p = plain.ToVector<float>();
      const double ulps = act == Activation::kSigmoid ? 1.0 : 0.0;
      size_t bad = 0, first = 0;
      for (size_t i = 0; i < f.size(); ++i) {
        // One ulp of a float in [2^(e-1), 2^e) is 2^(e-24) = 2u 2^e: at most 2u |p|.
        if (!(std::fabs(static_cast<double>(f[i]) - p[i]) <= ulps * 2 * kUlp * std::fabs(p[i])) &&
            bad++ == 0)
          first = i;
      }
      EXPECT_EQ(bad, 0u) << "first difference at [" << first << "]: fused " << f[first]
                         << ", unfused " << p[first];
    }
  }
}

// The op, forward and every gradient, with our GEMM and with cuBLAS selected (unfused there).
// The leaves of a layer, x: (batch, in) like pixels, W and b as torch.nn.Linear draws them, on
// `device`, requiring gradients.
struct Layer {
  Tensor x, w, b;
};
Layer MakeLayer(const Sizes& s, uint64_t seed, Device device) {
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  const int64_t batch = s.M, out = s.N, in = s.K;
  const float bound = 1.0f / std::sqrt(static_cast<float>(in));
  Layer l{Tensor::FromVector(RandomVector(batch * in, 0.0f, 1.0f, rng), {batch, in}).To(device),
          Tensor::FromVector(RandomVector(out * in, -bound, bound, rng), {out, in}).To(device),
          Tensor::FromVector(RandomVector(out, -bound, bound, rng), {out}).To(device)};
  for (Tensor* t : {&l.x, &l.w, &l.b}) t->SetRequiresGrad(true);
  return l;
}

// Runs y = f(x, w, b) and backward from sum(y * g), g fixed random: y and the three gradients.
template <typename F>
std::vector<Tensor> ForwardBackward(const Sizes& s, Device device, math::CudaGemm gemm, F f) {
  const Layer l = MakeLayer(s, 1107, device);
  std::mt19937 rng(1108);
  const Tensor g = Tensor::FromVector(RandomVector(s.M * s.N, -1.0f, 1.0f, rng), {s.M, s.N});
  const math::CudaGemmScope scope(gemm);
  const Tensor y = f(l.x, l.w, l.b);
  Sum(Mul(y, g.To(device))).Backward();
  return {y, l.x.grad(), l.w.grad(), l.b.grad()};
}

const char* const kWhat[] = {"y", "dx", "dW", "db"};

// CUDA against the CPU for the smooth activations. Tolerance as in tests/op_table_cuda_test.cc:
// 1e-4 of the tensor's largest magnitude plus 1e-4 relative, 50x the summation-order differences
// of K <= 1000 float sums, while a wrong index is off by O(1). (relu is left to the next test:
// a pre-activation within rounding of 0 may fall on the other side of the kink on the other
// device, which changes its gradient by O(1).)
void ExpectClose(const Tensor& cpu, const Tensor& cuda, const std::string& what) {
  ASSERT_EQ(cpu.shape(), cuda.shape()) << what;
  const std::vector<float> a = cpu.ToVector<float>(), b = cuda.ToVector<float>();
  float scale = 1.0f;
  for (float v : a) scale = std::max(scale, std::abs(v));
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(a[i] - b[i]) <= 1e-4 * scale + 1e-4 * std::abs(a[i])) && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0u) << what << ": first difference at [" << first << "]: cpu " << a[first]
                     << ", cuda " << b[first];
}

// The VAE's encoder layer (batch 128, 784 -> 400) and an odd one.
const Sizes kLayers[] = {{128, 400, 784}, {7, 127, 31}};

TEST(CudaLinearActTest, OpMatchesCpuWithEitherGemm) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  for (const Sizes& s : kLayers) {
    for (math::CudaGemm gemm : {math::CudaGemm::kLatent, math::CudaGemm::kCublas}) {
      for (Activation act : {Activation::kIdentity, Activation::kSigmoid}) {
        auto f = [act](const Tensor& x, const Tensor& w, const Tensor& b) {
          return LinearAct(x, w, b, act);
        };
        const std::vector<Tensor> cpu = ForwardBackward(s, Device::Cpu(), gemm, f);
        const std::vector<Tensor> cuda = ForwardBackward(s, Device::Cuda(), gemm, f);
        const std::string what = std::string(Name(act)) +
                                 (gemm == math::CudaGemm::kCublas ? " (cuBLAS) " : " ") +
                                 std::to_string(s.M) + " x " + std::to_string(s.K) + " -> " +
                                 std::to_string(s.N);
        for (int k = 0; k < 4; ++k) ExpectClose(cpu[k], cuda[k], what + ": " + kWhat[k]);
      }
    }
  }
}

// On the device, LinearAct against Relu(Linear(...)): Linear runs the same fused kernel with the
// identity (or the same cuBLAS GEMM and bias kernel), relu is exact, and both backward passes run
// the same relu-backward, GEMM and column-sum kernels (no atomics: fixed order), so everything
// must be bitwise equal, kink included.
TEST(CudaLinearActTest, ReluOpEqualsUnfusedOpsOnDevice) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  for (const Sizes& s : kLayers) {
    for (math::CudaGemm gemm : {math::CudaGemm::kLatent, math::CudaGemm::kCublas}) {
      SCOPED_TRACE(::testing::Message() << (gemm == math::CudaGemm::kCublas ? "cuBLAS " : "")
                                        << s.M << " x " << s.K << " -> " << s.N);
      const std::vector<Tensor> fused = ForwardBackward(
          s, Device::Cuda(), gemm, [](const Tensor& x, const Tensor& w, const Tensor& b) {
            return LinearAct(x, w, b, Activation::kRelu);
          });
      const std::vector<Tensor> unfused = ForwardBackward(
          s, Device::Cuda(), gemm,
          [](const Tensor& x, const Tensor& w, const Tensor& b) { return Relu(Linear(x, w, b)); });
      for (int k = 0; k < 4; ++k) {
        const std::vector<float> a = fused[k].ToVector<float>(), b = unfused[k].ToVector<float>();
        ASSERT_EQ(a.size(), b.size()) << kWhat[k];
        EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << kWhat[k];
      }
    }
  }
}

}  // namespace
}  // namespace latent

#endif  // LATENT_WITH_CUDA

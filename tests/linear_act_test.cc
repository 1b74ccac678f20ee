// LinearAct, the fused y = act(x W^T + b) (core/ops_linear.cc, kernels GemmBiasAct* in
// kernels/gemm.h). On the CPU in f32 it must equal the unfused ops, Relu(Linear(x, w, b)) and
// Sigmoid(Linear(x, w, b)), bit for bit, forward and backward: the same GEMM summation order, then
// the same bias addition and activation formula. Models rely on it: replacing the unfused ops by
// LinearAct must not change a training run by a single bit. Also: closed-form values, the kernel
// at padded strides and K = 0, and the error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor_math.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using kernels::Activation;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

const Activation kActivations[] = {Activation::kIdentity, Activation::kRelu,
                                   Activation::kSigmoid};

const char* Name(Activation act) {
  return act == Activation::kIdentity ? "identity" : act == Activation::kRelu ? "relu" : "sigmoid";
}

// The unfused composition LinearAct replaces.
Tensor Unfused(const Tensor& x, const Tensor& w, const Tensor& b, Activation act) {
  const Tensor z = Linear(x, w, b);
  if (act == Activation::kRelu) return Relu(z);
  if (act == Activation::kSigmoid) return Sigmoid(z);
  return z;
}

// The same, kernel by kernel without autograd: the plain GEMM, the bias, the activation (Linear
// itself runs the fused kernel with the identity).
Tensor ThreeKernels(const Tensor& x, const Tensor& w, const Tensor& b, Activation act) {
  Tensor y = math::Gemm(x, false, w, true);
  math::AddBiasRows(y, b);
  return act == Activation::kIdentity ? y : math::Unary(act, y);
}

std::vector<float> RandomVector(size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Exact equality, bit for bit (a NaN equals a NaN of the same bits; -0 differs from +0).
::testing::AssertionResult Bitwise(const Tensor& got, const Tensor& want) {
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure()
           << "shapes differ: " << got.shape().ToString() << " and " << want.shape().ToString();
  const std::vector<float> g = got.ToVector<float>(), w = want.ToVector<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::memcmp(&g[i], &w[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "first difference at [" << i << "]: got " << g[i]
                                           << ", want " << w[i] << " (diff " << g[i] - w[i] << ")";
  }
  return ::testing::AssertionSuccess();
}

// (B, in, out): ones; odd sizes; the VAE's encoder layer at an odd batch (129 rows: ragged tiles
// of the micro-kernel in both directions, 784-deep sums); in = 2100, more than one depth block of
// the CPU GEMM (kKc = 1024), whose partial sums add up before the epilogue; the decoder's first
// layer (20 -> 400).
struct LayerShape {
  int64_t batch, in, out;
};
const LayerShape kLayerShapes[] = {{1, 1, 1}, {7, 13, 5}, {129, 784, 400}, {5, 2100, 33},
                                   {128, 20, 400}};

TEST(LinearAct, EqualsUnfusedOpsBitForBitForwardAndBackward) {
  std::mt19937 rng(20240611);
  for (const LayerShape& s : kLayerShapes) {
    // Weights and bias as torch.nn.Linear draws them, inputs like MNIST pixels and hidden units;
    // about half of the pre-activations are negative, so relu's both branches are exercised.
    const float bound = 1.0f / std::sqrt(static_cast<float>(s.in));
    const std::vector<float> xv = RandomVector(s.batch * s.in, 0.0f, 1.0f, rng);
    const std::vector<float> wv = RandomVector(s.out * s.in, -bound, bound, rng);
    const std::vector<float> bv = RandomVector(s.out, -bound, bound, rng);
    const std::vector<float> gv = RandomVector(s.batch * s.out, -1.0f, 1.0f, rng);
    const Tensor g = Tensor::FromVector(gv, {s.batch, s.out});
    for (Activation act : kActivations) {
      SCOPED_TRACE(std::string(Name(act)) + " at batch " + std::to_string(s.batch) + ", " +
                   std::to_string(s.in) + " -> " + std::to_string(s.out));
      Tensor x[2], w[2], b[2], y[2];
      for (int k = 0; k < 2; ++k) {  // k = 0: fused; 1: unfused. Separate leaves, separate grads.
        x[k] = Tensor::FromVector(xv, {s.batch, s.in});
        w[k] = Tensor::FromVector(wv, {s.out, s.in});
        b[k] = Tensor::FromVector(bv, {s.out});
        for (Tensor* t : {&x[k], &w[k], &b[k]}) t->SetRequiresGrad(true);
      }
      y[0] = LinearAct(x[0], w[0], b[0], act);
      y[1] = Unfused(x[1], w[1], b[1], act);
      EXPECT_TRUE(Bitwise(y[0], y[1])) << "output";
      EXPECT_TRUE(Bitwise(y[0], ThreeKernels(x[0], w[0], b[0], act))) << "output";
      // A random linear functional of y: every element's gradient matters.
      for (int k = 0; k < 2; ++k) Sum(Mul(y[k], g)).Backward();
      EXPECT_TRUE(Bitwise(x[0].grad(), x[1].grad())) << "dx";
      EXPECT_TRUE(Bitwise(w[0].grad(), w[1].grad())) << "dW";
      EXPECT_TRUE(Bitwise(b[0].grad(), b[1].grad())) << "db";
    }
  }
}

TEST(LinearAct, WithoutBiasEqualsUnfusedOps) {
  std::mt19937 rng(7);
  const Tensor x = Tensor::FromVector(RandomVector(9 * 31, -1.0f, 1.0f, rng), {9, 31});
  const Tensor w = Tensor::FromVector(RandomVector(17 * 31, -1.0f, 1.0f, rng), {17, 31});
  for (Activation act : kActivations)
    EXPECT_TRUE(Bitwise(LinearAct(x, w, Tensor(), act), Unfused(x, w, Tensor(), act))) << Name(act);
}

// x = [1, 2], W = [[1, 1], [1, -1]], b = [0.5, -0.25]: z = x W^T + b = [3.5, -1.25].
// With dy = [1, 1]:  dz = act'(z);  dx = dz W;  dW = dz^T x;  db = dz.
template <typename T>
void CheckClosedForm(DType dtype) {
  const double z[2] = {3.5, -1.25};
  for (Activation act : kActivations) {
    SCOPED_TRACE(std::string(Name(act)) + (dtype == DType::kF64 ? " f64" : " f32"));
    Tensor x = Tensor::FromVector<T>({1, 2}, {1, 2});
    Tensor w = Tensor::FromVector<T>({1, 1, 1, -1}, {2, 2});
    Tensor b = Tensor::FromVector<T>({T(0.5), T(-0.25)}, {2});
    ASSERT_EQ(x.dtype(), dtype);
    for (Tensor* t : {&x, &w, &b}) t->SetRequiresGrad(true);
    const Tensor y = LinearAct(x, w, b, act);
    Sum(y).Backward();
    double want_y[2], dz[2];
    for (int j = 0; j < 2; ++j) {
      const double s = 1.0 / (1.0 + std::exp(-z[j]));
      const bool relu = act == Activation::kRelu, identity = act == Activation::kIdentity;
      want_y[j] = identity ? z[j] : relu ? std::max(z[j], 0.0) : s;
      dz[j] = identity ? 1.0 : relu ? (z[j] > 0 ? 1.0 : 0.0) : s * (1 - s);
    }
    // f32: sigmoid and its derivative carry a few ulp of rounding; everything else is exact.
    const double tol = dtype == DType::kF64 ? 1e-15 : 1e-6;
    const std::vector<T> got_y = y.ToVector<T>(), dx = x.grad().ToVector<T>(),
                         dw = w.grad().ToVector<T>(), db = b.grad().ToVector<T>();
    const double want_dx[2] = {dz[0] + dz[1], dz[0] - dz[1]};
    const double want_dw[4] = {dz[0] * 1, dz[0] * 2, dz[1] * 1, dz[1] * 2};
    for (int j = 0; j < 2; ++j) {
      EXPECT_NEAR(got_y[j], want_y[j], tol) << "y[" << j << "]";
      EXPECT_NEAR(dx[j], want_dx[j], tol) << "dx[" << j << "]";
      EXPECT_NEAR(db[j], dz[j], tol) << "db[" << j << "]";
    }
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(dw[j], want_dw[j], tol) << "dW[" << j << "]";
  }
}

TEST(LinearAct, ClosedFormF32) { CheckClosedForm<float>(DType::kF32); }
TEST(LinearAct, ClosedFormF64) { CheckClosedForm<double>(DType::kF64); }

// The kernel on its own: padded row strides (the padding is NaN and must stay untouched, the
// pads of A and B must not be read), against the three unfused kernels, bit for bit; at odd
// sizes, the VAE's decoder output layer at an odd batch, and a sum of two depth blocks.
TEST(GemmBiasActCpu, PaddedStridesEqualUnfusedKernelsBitForBit) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  struct Sizes {
    int64_t M, N, K;
  };
  for (const Sizes& s : {Sizes{13, 37, 45}, Sizes{129, 784, 400}, Sizes{5, 33, 2100}}) {
    const int64_t M = s.M, N = s.N, K = s.K, lda = K + 3, ldb = K + 5, ldc = N + 7;
    std::vector<float> a(M * lda, kNaN), b(N * ldb, kNaN);  // A: (M, K), B: (N, K), padded
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) a[i * lda + k] = uniform(rng);
    for (int64_t j = 0; j < N; ++j)
      for (int64_t k = 0; k < K; ++k) b[j * ldb + k] = uniform(rng);
    const std::vector<float> bias = RandomVector(N, -1.0f, 1.0f, rng);
    for (Activation act : kActivations) {
      SCOPED_TRACE(std::string(Name(act)) + " at " + std::to_string(M) + " x " +
                   std::to_string(N) + " x " + std::to_string(K));
      std::vector<float> fused(M * ldc, kNaN), want(M * N);
      kernels::GemmBiasActCpu(M, N, K, a.data(), lda, b.data(), ldb, bias.data(), act,
                              fused.data(), ldc);
      kernels::GemmCpu(false, true, M, N, K, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                       want.data(), N);
      kernels::AddBiasRowsCpu<float>(M, N, bias.data(), want.data());
      if (act != Activation::kIdentity)
        kernels::UnaryForwardCpu<float>(act, M * N, 0.0f, want.data(), want.data());
      int64_t bad_padding = 0, bad_values = 0;
      for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < ldc; ++j) {
          const float got = fused[i * ldc + j];
          if (j >= N) {
            bad_padding += !std::isnan(got);
          } else if (std::memcmp(&got, &want[i * N + j], sizeof(float)) != 0 &&
                     bad_values++ == 0) {
            ADD_FAILURE() << "first difference at (" << i << ", " << j << "): got " << got
                          << ", want " << want[i * N + j];
          }
        }
      }
      EXPECT_EQ(bad_padding, 0) << "padding elements of C were written";
      EXPECT_EQ(bad_values, 0) << "elements differ from the unfused kernels";
    }
  }
}

// K = 0: an empty sum, so C = act(bias) in every row, whatever C held (NaN here).
TEST(GemmBiasActCpu, EmptySumGivesActivatedBias) {
  const float bias[3] = {-2.0f, 0.0f, 1.5f};
  std::vector<float> c(2 * 3, kNaN);
  kernels::GemmBiasActCpu(2, 3, 0, nullptr, 1, nullptr, 1, bias, Activation::kRelu, c.data(), 3);
  const std::vector<float> want = {0.0f, 0.0f, 1.5f, 0.0f, 0.0f, 1.5f};
  EXPECT_EQ(c, want);
  kernels::GemmBiasActCpu(2, 3, 0, nullptr, 1, nullptr, 1, bias, Activation::kSigmoid, c.data(), 3);
  EXPECT_FLOAT_EQ(c[0], 1.0f / (1.0f + std::exp(2.0f)));
  EXPECT_FLOAT_EQ(c[1], 0.5f);
  EXPECT_FLOAT_EQ(c[5], 1.0f / (1.0f + std::exp(-1.5f)));
}

// relu is `v < 0 ? 0 : v`, as the Relu op computes it: a NaN pre-activation stays NaN (a
// diverging run shows up instead of hiding behind zeros).
TEST(LinearAct, ReluKeepsNaN) {
  const Tensor x = Tensor::FromVector<float>({kNaN, 1.0f}, {1, 2});
  const Tensor w = Tensor::FromVector<float>({1.0f, 1.0f}, {1, 2});
  const Tensor b = Tensor::FromVector<float>({0.0f}, {1});
  EXPECT_TRUE(std::isnan(LinearAct(x, w, b, Activation::kRelu).ToVector<float>()[0]));
}

TEST(LinearAct, ShapeErrorsNameWhatWasExpectedAndFound) {
  using testing::ExpectErrorContaining;
  const Tensor x = Tensor::Zeros({2, 3}), w = Tensor::Zeros({4, 3}), b = Tensor::Zeros({4});
  ExpectErrorContaining([&] { LinearAct(x, Tensor::Zeros({4, 5}), b, Activation::kRelu); },
                        {"linear_act", "input has 3 features", "weight expects 5", "(4, 5)"});
  ExpectErrorContaining([&] { LinearAct(x, w, Tensor::Zeros({3}), Activation::kRelu); },
                        {"linear_act", "weight has 4 outputs", "bias has 3 entries"});
  ExpectErrorContaining([&] { LinearAct(x, w, Tensor::Zeros({4, 1}), Activation::kSigmoid); },
                        {"linear_act", "bias", "1 dimensions", "(4, 1)"});
  ExpectErrorContaining([&] { LinearAct(Tensor::Zeros({3}), w, b, Activation::kRelu); },
                        {"linear_act", "input", "2 dimensions", "(3,)"});
  ExpectErrorContaining(
      [&] { LinearAct(x, Tensor::Zeros({4, 3}, DType::kF64), b, Activation::kRelu); },
      {"linear_act", "different dtypes", "f32", "f64"});
  ExpectErrorContaining(
      [&] { LinearAct(x, w, Tensor::Zeros({4}, DType::kF64), Activation::kRelu); },
      {"linear_act", "different dtypes"});
  ExpectErrorContaining([&] { LinearAct(x, w, b, Activation::kTanh); },
                        {"GemmBiasActCpu", "not a GEMM epilogue"});
}

}  // namespace
}  // namespace latent

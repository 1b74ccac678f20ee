// Tests for kernels/cuda/*.cu: every CUDA kernel against its CPU twin (the specification), on
// fresh random inputs at odd sizes (1, 7, 31, 127, 784, 1000, plus one large enough for several
// blocks and a grid-stride loop), non-square shapes, and the VAE's real shapes (batch 128,
// 784-400-20). GEMM: all four transpose cases against GemmRefCpu<double> and against cuBLAS.
// Reductions (and every kernel that reduces) run twice and must be bitwise identical.
//
// Tolerances are |got - want| <= atol + rtol |want|, each with a comment on how it was chosen.
// One float ulp is at most 2^-23 ~ 1.2e-7 of the value.
//
// Every test skips on a machine without a GPU; without LATENT_WITH_CUDA the file is empty.
#ifdef LATENT_WITH_CUDA

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "core/device.h"
#include "kernels/classify.h"
#include "kernels/error.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/loss.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/reparam_kl.h"
#include "kernels/rows.h"
#include "tests/cuda_test_util.h"

namespace latent::kernels {
namespace {

using testing::DeviceBuffer;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> RandomVector(size_t n, float lo, float hi, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int32_t> RandomIndices(size_t n, int32_t bound, std::mt19937& rng) {
  std::uniform_int_distribution<int32_t> dist(0, bound - 1);
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = dist(rng);
  return v;
}

// Passes when |got[i] - want[i]| <= atol + rtol |want[i]| for every i (a NaN never passes).
template <typename Got, typename Want>
::testing::AssertionResult AllNear(const std::vector<Got>& got, const std::vector<Want>& want,
                                   double atol, double rtol) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: got " << got.size() << ", want " << want.size();
  }
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      if (bad++ == 0) first = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  const double g = static_cast<double>(got[first]), w = static_cast<double>(want[first]);
  return ::testing::AssertionFailure()
         << bad << " of " << got.size() << " elements differ; first at [" << first << "]: got " << g
         << ", want " << w << ", |diff| " << std::fabs(g - w) << " > tolerance "
         << atol + rtol * std::fabs(w) << " (atol " << atol << ", rtol " << rtol << ")";
}

// Exact equality, bit for bit (for copies, single IEEE operations, and run-to-run determinism).
template <typename T>
::testing::AssertionResult Bitwise(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: got " << got.size() << ", want " << want.size();
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0) {
      return ::testing::AssertionFailure()
             << "first difference at [" << i << "]: got " << got[i] << ", want " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// Flat sizes: the odd sizes DESIGN.md asks for, and 100003 (several blocks, an n % 4 tail).
const int64_t kSizes[] = {1, 7, 31, 127, 784, 1000, 100003};

struct Shape2d {
  int64_t rows, cols;
};
// Non-square shapes and the VAE's (batch 128: 784 pixels, 400 hidden, 20 latent).
const Shape2d kShapes[] = {{1, 1},     {7, 1000}, {128, 784}, {128, 400}, {128, 20},
                           {1000, 31}, {31, 7},   {127, 400}, {784, 127}};

std::string Describe(const Shape2d& s) {
  std::ostringstream out;
  out << s.rows << " x " << s.cols;
  return out.str();
}

// ------------------------------------------------------------------------------------------------
// Elementwise

// Every activation.
std::vector<Activation> AllActivations() {
  std::vector<Activation> all;
  for (int a = 0; a < kNumActivations; ++a) all.push_back(static_cast<Activation>(a));
  return all;
}

// Inputs in each op's domain: log needs x > 0.
std::vector<float> UnaryInput(Activation op, int64_t n, std::mt19937& rng) {
  return op == Activation::kLog ? RandomVector(n, 0.05f, 5.0f, rng)
                                : RandomVector(n, -5.0f, 5.0f, rng);
}

// CUDA's expf, tanhf, logf and log1pf are within 2 ulp, glibc's within 1, and nvcc fuses
// a * b + c into one FMA where the CPU rounds twice: a few ulp in all, so rtol 1e-6 (8 ulp). The
// atol covers results near 0 that are differences of O(1) terms (1 - y^2 for tanh, log x near 1).
constexpr double kUnaryAtol = 1e-6, kUnaryRtol = 1e-6;

TEST(CudaElementwiseTest, UnaryForwardMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(101);
  const float alpha = 0.3f;
  for (Activation op : AllActivations()) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ", n " << n);
      const std::vector<float> x = UnaryInput(op, n, rng);
      std::vector<float> want(n);
      UnaryForwardCpu<float>(op, n, alpha, x.data(), want.data());
      DeviceBuffer<float> x_d(x), y_d(n);
      UnaryForwardCuda(op, n, alpha, x_d.get(), y_d.get());
      EXPECT_TRUE(AllNear(y_d.Download(), want, kUnaryAtol, kUnaryRtol));
    }
  }
}

TEST(CudaElementwiseTest, UnaryBackwardMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(102);
  const float alpha = 0.3f;
  for (Activation op : AllActivations()) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ", n " << n);
      const std::vector<float> x = UnaryInput(op, n, rng);
      const std::vector<float> dy = RandomVector(n, -2.0f, 2.0f, rng);
      std::vector<float> y(n), want(n);
      // Both devices get the CPU's y, so only the backward formula is under test.
      UnaryForwardCpu<float>(op, n, alpha, x.data(), y.data());
      UnaryBackwardCpu<float>(op, n, alpha, x.data(), y.data(), dy.data(), want.data());
      DeviceBuffer<float> x_d(x), y_d(y), dy_d(dy), dx_d(n);
      UnaryBackwardCuda(op, n, alpha, x_d.get(), y_d.get(), dy_d.get(), dx_d.get());
      EXPECT_TRUE(AllNear(dx_d.Download(), want, kUnaryAtol, kUnaryRtol));
    }
  }
}

TEST(CudaElementwiseTest, BinaryIsBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(103);
  for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul}) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << ", n " << n);
      const std::vector<float> a = RandomVector(n, -3.0f, 3.0f, rng);
      const std::vector<float> b = RandomVector(n, -3.0f, 3.0f, rng);
      std::vector<float> want(n);
      BinaryCpu<float>(op, n, a.data(), b.data(), want.data());
      DeviceBuffer<float> a_d(a), b_d(b), c_d(n);
      BinaryCuda(op, n, a_d.get(), b_d.get(), c_d.get());
      // One correctly rounded IEEE operation per element on both devices: exact.
      EXPECT_TRUE(Bitwise(c_d.Download(), want));
    }
  }
}

TEST(CudaElementwiseTest, AxpbyMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(104);
  for (float b : {0.5f, 0.0f}) {
    for (int64_t n : kSizes) {
      SCOPED_TRACE(::testing::Message() << "b " << b << ", n " << n);
      const float a = -1.25f;
      const std::vector<float> x = RandomVector(n, -2.0f, 2.0f, rng);
      // With b == 0, y holds NaN: the kernel must overwrite it without reading it.
      const std::vector<float> y0 =
          b == 0.0f ? std::vector<float>(n, kNaN) : RandomVector(n, -2.0f, 2.0f, rng);
      std::vector<float> want = y0;
      AxpbyCpu<float>(n, a, x.data(), b, want.data());
      DeviceBuffer<float> x_d(x), y_d(y0);
      AxpbyCuda(n, a, x_d.get(), b, y_d.get());
      // a x + b y: nvcc fuses it into one FMA, the CPU rounds a x first: the results differ by at
      // most an ulp of |a x| + |b y| <= 3.5, i.e. 4.8e-7.
      EXPECT_TRUE(AllNear(y_d.Download(), want, 1e-6, 0.0));
    }
  }
}

TEST(CudaElementwiseTest, FillsAndBroadcastAreExact) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  for (int64_t n : kSizes) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    std::vector<float> want(n);
    FillCpu<float>(n, -3.5f, want.data());
    DeviceBuffer<float> y_d(std::vector<float>(n, kNaN));
    FillCuda(n, -3.5f, y_d.get());
    EXPECT_TRUE(Bitwise(y_d.Download(), want));

    DeviceBuffer<int32_t> yi_d(std::vector<int32_t>(n, -1));
    FillCuda(n, 123456789, yi_d.get());
    EXPECT_TRUE(Bitwise(yi_d.Download(), std::vector<int32_t>(n, 123456789)));

    // y = scale * s[0], with s on the device: one multiplication, exact on both devices.
    const std::vector<float> s = {2.75f};
    BroadcastScalarCpu<float>(n, -0.125f, s.data(), want.data());
    DeviceBuffer<float> s_d(s);
    BroadcastScalarCuda(n, -0.125f, s_d.get(), y_d.get());
    EXPECT_TRUE(Bitwise(y_d.Download(), want));
  }
}

TEST(CudaElementwiseTest, AddBiasRowsIsBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(105);
  for (const Shape2d& s : kShapes) {
    SCOPED_TRACE(Describe(s));
    const std::vector<float> bias = RandomVector(s.cols, -1.0f, 1.0f, rng);
    std::vector<float> y = RandomVector(s.rows * s.cols, -1.0f, 1.0f, rng);
    DeviceBuffer<float> bias_d(bias), y_d(y);
    AddBiasRowsCpu<float>(s.rows, s.cols, bias.data(), y.data());
    AddBiasRowsCuda(s.rows, s.cols, bias_d.get(), y_d.get());
    EXPECT_TRUE(Bitwise(y_d.Download(), y));  // one addition per element: exact
  }
}

// ------------------------------------------------------------------------------------------------
// Reductions. Both devices accumulate in double, in different orders; the two doubles differ by
// about 1e-16 of the sum of |x|, so the floats they round to are equal or one ulp apart:
// rtol 2.5e-7 allows two ulp. (Inputs in [0.5, 1.5]: no cancellation can make |want| small
// beside that double error.)
constexpr double kReduceRtol = 2.5e-7;

TEST(CudaReduceTest, SumMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(201);
  std::vector<int64_t> sizes(std::begin(kSizes), std::end(kSizes));
  sizes.push_back(3000017);  // 1024 blocks, each thread several grid-stride steps
  for (int64_t n : sizes) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    const std::vector<float> x = RandomVector(n, 0.5f, 1.5f, rng);
    std::vector<float> want(1);
    SumCpu<float>(n, x.data(), want.data());
    DeviceBuffer<float> x_d(x), out_d(1);
    SumCuda(n, x_d.get(), out_d.get());
    const std::vector<float> first = out_d.Download();
    EXPECT_TRUE(AllNear(first, want, 0.0, kReduceRtol));
    SumCuda(n, x_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), first));
  }
}

TEST(CudaReduceTest, ColumnSumMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(202);
  std::vector<Shape2d> shapes(std::begin(kShapes), std::end(kShapes));
  // Several row slabs (a second pass over the partials), up to MNIST's 60000 rows.
  shapes.push_back({2049, 3});
  shapes.push_back({60000, 100});
  shapes.push_back({5000, 1000});
  for (const Shape2d& s : shapes) {
    SCOPED_TRACE(Describe(s));
    const std::vector<float> x = RandomVector(s.rows * s.cols, 0.5f, 1.5f, rng);
    std::vector<float> want(s.cols);
    ColumnSumCpu<float>(s.rows, s.cols, x.data(), want.data());
    DeviceBuffer<float> x_d(x), out_d(s.cols);
    ColumnSumCuda(s.rows, s.cols, x_d.get(), out_d.get());
    const std::vector<float> first = out_d.Download();
    EXPECT_TRUE(AllNear(first, want, 0.0, kReduceRtol));
    ColumnSumCuda(s.rows, s.cols, x_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), first));
  }
}

TEST(CudaReduceTest, RowSumMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(203);
  std::vector<Shape2d> shapes(std::begin(kShapes), std::end(kShapes));
  shapes.push_back({60000, 20});
  for (const Shape2d& s : shapes) {
    SCOPED_TRACE(Describe(s));
    const std::vector<float> x = RandomVector(s.rows * s.cols, 0.5f, 1.5f, rng);
    std::vector<float> want(s.rows);
    RowSumCpu<float>(s.rows, s.cols, x.data(), want.data());
    DeviceBuffer<float> x_d(x), out_d(s.rows);
    RowSumCuda(s.rows, s.cols, x_d.get(), out_d.get());
    const std::vector<float> first = out_d.Download();
    EXPECT_TRUE(AllNear(first, want, 0.0, kReduceRtol));
    RowSumCuda(s.rows, s.cols, x_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), first));
  }
}

// The log-sum-exp of rows: both devices add exp(x - max) in double (CUDA's exp in double is within
// 1 ulp of double, glibc's likewise) and round the result once to float, so the two differ by at
// most one float ulp of the result (rtol 2.5e-7, 2 ulp), or by 1e-6 absolute where y is a
// near-cancellation of max and log_sum close to 0. Gradients: dy softmax, one float rounding of
// a double product: rtol 2.5e-7, atol 1e-9 for softmax weights that underflow differently.
TEST(CudaClassifyTest, RowLogSumExpMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(311);
  std::vector<Shape2d> shapes(std::begin(kShapes), std::end(kShapes));
  shapes.push_back({128, 5});     // the IWAE's (B, k), k = 5
  shapes.push_back({128, 50});    // k = 50
  shapes.push_back({128, 500});   // the VampPrior's (B, K) with K = 500 pseudo-inputs
  for (const Shape2d& s : shapes) {
    for (float scale : {8.0f, 1e4f}) {
      SCOPED_TRACE(Describe(s) + (scale > 100 ? ", inputs in +-1e4" : ", inputs in +-8"));
      const int64_t n = s.rows * s.cols;
      std::vector<float> x = RandomVector(n, -scale, scale, rng);
      if (n > 2) x[n / 2] = -std::numeric_limits<float>::infinity();  // weighs nothing
      const std::vector<float> dy = RandomVector(s.rows, -2.0f, 2.0f, rng);
      std::vector<float> want(s.rows), want_dx(n);
      RowLogSumExpForwardCpu<float>(s.rows, s.cols, x.data(), want.data());
      RowLogSumExpBackwardCpu<float>(s.rows, s.cols, x.data(), dy.data(), want_dx.data());
      DeviceBuffer<float> x_d(x), dy_d(dy), out_d(s.rows), dx_d(n);
      RowLogSumExpForwardCuda(s.rows, s.cols, x_d.get(), out_d.get());
      const std::vector<float> first = out_d.Download();
      EXPECT_TRUE(AllNear(first, want, 1e-6, 2.5e-7));
      RowLogSumExpForwardCuda(s.rows, s.cols, x_d.get(), out_d.get());
      EXPECT_TRUE(Bitwise(out_d.Download(), first));
      RowLogSumExpBackwardCuda(s.rows, s.cols, x_d.get(), dy_d.get(), dx_d.get());
      EXPECT_TRUE(AllNear(dx_d.Download(), want_dx, 1e-9, 2.5e-7));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Losses

TEST(CudaLossTest, ForwardMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(301);
  for (const Shape2d& s : kShapes) {
    SCOPED_TRACE(Describe(s));
    const int64_t n = s.rows * s.cols;
    const std::vector<float> x = RandomVector(n, -6.0f, 6.0f, rng);  // logits
    const std::vector<float> t = RandomVector(n, 0.0f, 1.0f, rng);   // grey-level targets
    DeviceBuffer<float> x_d(x), t_d(t), out_d(s.rows);

    // BCE terms are >= 0 and each differs from the CPU's by a few ulp of max(x, 0) or of the
    // log1p term (expf/log1pf ulps, FMA contraction of x t): at most ~1e-6 absolute per term, and
    // the double sums add no error of note, so rtol 2e-6 of the (positive) row sum, atol 1e-6
    // for one-term rows whose term is tiny.
    std::vector<float> want(s.rows);
    BceWithLogitsForwardCpu<float>(s.rows, s.cols, x.data(), t.data(), want.data());
    BceWithLogitsForwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), out_d.get());
    const std::vector<float> bce = out_d.Download();
    EXPECT_TRUE(AllNear(bce, want, 1e-6, 2e-6));
    BceWithLogitsForwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), bce));

    // MSE terms (a - b)^2 are bitwise the CPU's (one subtraction, one multiplication); only the
    // double sums' order differs: as for the reductions, two ulp.
    MseForwardCpu<float>(s.rows, s.cols, x.data(), t.data(), want.data());
    MseForwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), out_d.get());
    const std::vector<float> mse = out_d.Download();
    EXPECT_TRUE(AllNear(mse, want, 0.0, kReduceRtol));
    MseForwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), mse));
  }
}

TEST(CudaLossTest, BackwardMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(302);
  // dx = dout (s(x) - t): the sigmoid's few-ulp difference (expf) is absolute after the
  // subtraction, at most ~5e-7 with |dout| <= 2; dt = -dout x and the MSE gradients are the
  // same products on both devices. atol 1e-6, rtol 1e-6.
  constexpr double kAtol = 1e-6, kRtol = 1e-6;
  for (const Shape2d& s : kShapes) {
    for (bool with_second : {true, false}) {
      SCOPED_TRACE(Describe(s) + (with_second ? ", both gradients" : ", second one null"));
      const int64_t n = s.rows * s.cols;
      const std::vector<float> x = RandomVector(n, -6.0f, 6.0f, rng);
      const std::vector<float> t = RandomVector(n, 0.0f, 1.0f, rng);
      const std::vector<float> dout = RandomVector(s.rows, -2.0f, 2.0f, rng);
      DeviceBuffer<float> x_d(x), t_d(t), dout_d(dout), g1_d(n), g2_d(n);
      std::vector<float> g1(n), g2(n);

      BceWithLogitsBackwardCpu<float>(s.rows, s.cols, x.data(), t.data(), dout.data(), g1.data(),
                                      with_second ? g2.data() : nullptr);
      BceWithLogitsBackwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), dout_d.get(), g1_d.get(),
                                with_second ? g2_d.get() : nullptr);
      EXPECT_TRUE(AllNear(g1_d.Download(), g1, kAtol, kRtol));
      if (with_second) {
        EXPECT_TRUE(AllNear(g2_d.Download(), g2, kAtol, kRtol));
      }

      // MSE with da null in the second round, so that each pointer is null once.
      MseBackwardCpu<float>(s.rows, s.cols, x.data(), t.data(), dout.data(),
                            with_second ? g1.data() : nullptr, g2.data());
      MseBackwardCuda(s.rows, s.cols, x_d.get(), t_d.get(), dout_d.get(),
                      with_second ? g1_d.get() : nullptr, g2_d.get());
      if (with_second) {
        EXPECT_TRUE(AllNear(g1_d.Download(), g1, kAtol, kRtol));
      }
      EXPECT_TRUE(AllNear(g2_d.Download(), g2, kAtol, kRtol));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Reparameterization + KL. eps comes from CUDA's logf/cosf/sinf (<= 2 ulp) on the GPU and glibc's
// on the CPU: up to ~6 ulp of |sigma eps| <= e^1 * 6 = 16, i.e. ~1.2e-5 absolute in z and in the
// dz * eps * sigma term, hence atol 2e-5. KL terms differ by expf's ulps and FMA contraction,
// ~1e-6 each against row sums of O(D): rtol 5e-6.
constexpr double kReparamAtol = 2e-5, kReparamRtol = 5e-6;

const Shape2d kLatentShapes[] = {{1, 1}, {7, 31}, {128, 20}, {127, 33}, {1000, 7}, {31, 100}};

TEST(CudaReparamKlTest, ForwardMatchesCpuAndIsDeterministic) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(401);
  // A seed and an offset with high bits set, so that both 64-bit halves reach the counter.
  const uint64_t seed = 0x123456789abcdefULL, offset = (uint64_t{1} << 33) + 17;
  for (const Shape2d& s : kLatentShapes) {
    SCOPED_TRACE(Describe(s));
    const int64_t B = s.rows, D = s.cols, n = B * D;
    const std::vector<float> mu = RandomVector(n, -2.0f, 2.0f, rng);
    const std::vector<float> logvar = RandomVector(n, -3.0f, 2.0f, rng);
    std::vector<float> z(n), kl(B);
    ReparamKlForwardCpu<float>(B, D, seed, offset, mu.data(), logvar.data(), z.data(), kl.data());
    DeviceBuffer<float> mu_d(mu), logvar_d(logvar), z_d(n), kl_d(B);
    ReparamKlForwardCuda(B, D, seed, offset, mu_d.get(), logvar_d.get(), z_d.get(), kl_d.get());
    const std::vector<float> kl_first = kl_d.Download();
    EXPECT_TRUE(AllNear(z_d.Download(), z, kReparamAtol, kReparamRtol));
    EXPECT_TRUE(AllNear(kl_first, kl, kReparamAtol, kReparamRtol));
    ReparamKlForwardCuda(B, D, seed, offset, mu_d.get(), logvar_d.get(), z_d.get(), kl_d.get());
    EXPECT_TRUE(Bitwise(kl_d.Download(), kl_first));
  }
}

TEST(CudaReparamKlTest, BackwardMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(402);
  const uint64_t seed = 77, offset = 5;
  for (const Shape2d& s : kLatentShapes) {
    for (int which = 0; which < 4; ++which) {  // bit 0: dz given, bit 1: dkl given
      const bool has_dz = (which & 1) != 0, has_dkl = (which & 2) != 0;
      SCOPED_TRACE(Describe(s) + (has_dz ? ", dz" : ", no dz") + (has_dkl ? ", dkl" : ", no dkl"));
      const int64_t B = s.rows, D = s.cols, n = B * D;
      const std::vector<float> mu = RandomVector(n, -2.0f, 2.0f, rng);
      const std::vector<float> logvar = RandomVector(n, -3.0f, 2.0f, rng);
      const std::vector<float> dz = RandomVector(n, -1.0f, 1.0f, rng);
      const std::vector<float> dkl = RandomVector(B, 0.5f, 1.5f, rng);  // KL weights
      std::vector<float> dmu(n), dlogvar(n);
      ReparamKlBackwardCpu<float>(B, D, seed, offset, mu.data(), logvar.data(),
                                  has_dz ? dz.data() : nullptr, has_dkl ? dkl.data() : nullptr,
                                  dmu.data(), dlogvar.data());
      DeviceBuffer<float> mu_d(mu), logvar_d(logvar), dz_d(dz), dkl_d(dkl);
      DeviceBuffer<float> dmu_d(std::vector<float>(n, kNaN)),
          dlogvar_d(std::vector<float>(n, kNaN));
      ReparamKlBackwardCuda(B, D, seed, offset, mu_d.get(), logvar_d.get(),
                            has_dz ? dz_d.get() : nullptr, has_dkl ? dkl_d.get() : nullptr,
                            dmu_d.get(), dlogvar_d.get());
      EXPECT_TRUE(AllNear(dmu_d.Download(), dmu, kReparamAtol, kReparamRtol));
      EXPECT_TRUE(AllNear(dlogvar_d.Download(), dlogvar, kReparamAtol, kReparamRtol));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Rows: copies and a fixed-order scatter-add, so every result is bitwise the CPU's.

TEST(CudaRowsTest, GatherRowsIsBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(501);
  const int32_t N = 1000;  // rows to gather from
  for (const Shape2d& s : kShapes) {
    SCOPED_TRACE(Describe(s));
    const int64_t B = s.rows, D = s.cols;
    const std::vector<int32_t> index = RandomIndices(B, N, rng);
    const std::vector<float> x = RandomVector(N * D, -1.0f, 1.0f, rng);
    std::vector<float> want(B * D);
    GatherRowsCpu<float>(B, D, index.data(), x.data(), want.data());
    DeviceBuffer<int32_t> index_d(index);
    DeviceBuffer<float> x_d(x), out_d(B * D);
    GatherRowsCuda(B, D, index_d.get(), x_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), want));

    std::vector<int32_t> xi(N * D), want_i(B * D);
    for (size_t i = 0; i < xi.size(); ++i) xi[i] = static_cast<int32_t>(rng());
    GatherRowsCpu<int32_t>(B, D, index.data(), xi.data(), want_i.data());
    DeviceBuffer<int32_t> xi_d(xi), outi_d(B * D);
    GatherRowsCuda(B, D, index_d.get(), xi_d.get(), outi_d.get());
    EXPECT_TRUE(Bitwise(outi_d.Download(), want_i));
  }
}

TEST(CudaRowsTest, ScatterAddRowsIsBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(502);
  struct Case {
    int64_t B, N, D;
  };
  // B > N forces repeated indices, whose contributions must add in the order b = 0, 1, ...
  const Case cases[] = {{1, 1, 1}, {7, 1000, 31}, {128, 60, 784}, {128, 20, 20}, {1000, 7, 127}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "B " << c.B << ", N " << c.N << ", D " << c.D);
    const std::vector<int32_t> index = RandomIndices(c.B, static_cast<int32_t>(c.N), rng);
    const std::vector<float> dout = RandomVector(c.B * c.D, -1.0f, 1.0f, rng);
    std::vector<float> want(c.N * c.D, 0.0f);
    ScatterAddRowsCpu<float>(c.B, c.N, c.D, index.data(), dout.data(), want.data());
    DeviceBuffer<int32_t> index_d(index);
    DeviceBuffer<float> dout_d(dout), dx_d(std::vector<float>(c.N * c.D, 0.0f));
    ScatterAddRowsCuda(c.B, c.N, c.D, index_d.get(), dout_d.get(), dx_d.get());
    // The same float additions in the same order on both devices: exact.
    EXPECT_TRUE(Bitwise(dx_d.Download(), want));
  }
}

TEST(CudaRowsTest, ConcatAndSplitColsAreBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(503);
  struct Case {
    int64_t B, Da, Db;
  };
  // (128, 784, 10): the CVAE's pixels joined to a one-hot label.
  const Case cases[] = {{1, 1, 1}, {128, 784, 10}, {7, 20, 1000}, {127, 31, 7}, {1000, 1, 33}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "B " << c.B << ", Da " << c.Da << ", Db " << c.Db);
    const int64_t W = c.Da + c.Db;
    const std::vector<float> a = RandomVector(c.B * c.Da, -1.0f, 1.0f, rng);
    const std::vector<float> b = RandomVector(c.B * c.Db, -1.0f, 1.0f, rng);
    std::vector<float> out(c.B * W);
    ConcatColsCpu<float>(c.B, c.Da, c.Db, a.data(), b.data(), out.data());
    DeviceBuffer<float> a_d(a), b_d(b), out_d(c.B * W);
    ConcatColsCuda(c.B, c.Da, c.Db, a_d.get(), b_d.get(), out_d.get());
    EXPECT_TRUE(Bitwise(out_d.Download(), out));

    for (int which = 1; which < 4; ++which) {  // bit 0: da wanted, bit 1: db wanted
      const bool want_a = (which & 1) != 0, want_b = (which & 2) != 0;
      SCOPED_TRACE(::testing::Message() << "da " << want_a << ", db " << want_b);
      std::vector<float> da(c.B * c.Da, kNaN), db(c.B * c.Db, kNaN);
      SplitColsCpu<float>(c.B, c.Da, c.Db, out.data(), want_a ? da.data() : nullptr,
                          want_b ? db.data() : nullptr);
      DeviceBuffer<float> da_d(std::vector<float>(c.B * c.Da, kNaN));
      DeviceBuffer<float> db_d(std::vector<float>(c.B * c.Db, kNaN));
      SplitColsCuda(c.B, c.Da, c.Db, out_d.get(), want_a ? da_d.get() : nullptr,
                    want_b ? db_d.get() : nullptr);
      // An output not asked for stays untouched (NaN) on both devices.
      EXPECT_TRUE(Bitwise(da_d.Download(), da));
      EXPECT_TRUE(Bitwise(db_d.Download(), db));
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Optimizers. The updates are the same formulas; nvcc fuses b1 m + (1 - b1) g, momentum v + g and
// p - lr v into FMAs where the CPU rounds twice, and p, m, v are O(1): a few ulp, so atol 1e-6,
// rtol 1e-6. Each size runs on aligned buffers (float4 path plus tail) and on buffers shifted by
// one float (scalar path).

TEST(CudaOptimTest, AdamMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(601);
  // lr, beta1, beta2, eps, the bias corrections 1 - beta^t at step t = 3, then AdamW's decay
  // factor 1 - lr * wd for wd = 0.01.
  const AdamParams hp{1e-3f,
                      0.9f,
                      0.999f,
                      1e-8f,
                      1.0f - std::pow(0.9f, 3.0f),
                      1.0f - std::pow(0.999f, 3.0f),
                      1.0f - 1e-3f * 0.01f};
  for (int64_t n : kSizes) {
    for (int64_t shift : {0, 1}) {
      SCOPED_TRACE(::testing::Message() << "n " << n << ", shift " << shift);
      const size_t len = static_cast<size_t>(n + shift);
      std::vector<float> p = RandomVector(len, -1.0f, 1.0f, rng);
      const std::vector<float> g = RandomVector(len, -1.0f, 1.0f, rng);
      std::vector<float> m = RandomVector(len, -0.5f, 0.5f, rng);
      // v >= 0.01 keeps each step small (as in training), so an ulp of the step is below p's.
      std::vector<float> v = RandomVector(len, 0.01f, 1.0f, rng);
      DeviceBuffer<float> p_d(p), g_d(g), m_d(m), v_d(v);
      AdamCpu(n, hp, p.data() + shift, g.data() + shift, m.data() + shift, v.data() + shift);
      AdamCuda(n, hp, p_d.get() + shift, g_d.get() + shift, m_d.get() + shift, v_d.get() + shift);
      EXPECT_TRUE(AllNear(p_d.Download(), p, 1e-6, 1e-6));
      EXPECT_TRUE(AllNear(m_d.Download(), m, 1e-6, 1e-6));
      EXPECT_TRUE(AllNear(v_d.Download(), v, 1e-6, 1e-6));
    }
  }
}

TEST(CudaOptimTest, SgdMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(602);
  for (int64_t n : kSizes) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    std::vector<float> p = RandomVector(n, -1.0f, 1.0f, rng);
    const std::vector<float> g = RandomVector(n, -1.0f, 1.0f, rng);
    std::vector<float> velocity = RandomVector(n, -1.0f, 1.0f, rng);
    DeviceBuffer<float> p_d(p), g_d(g), velocity_d(velocity);
    SgdCpu(n, 0.1f, 0.9f, p.data(), g.data(), velocity.data());
    SgdCuda(n, 0.1f, 0.9f, p_d.get(), g_d.get(), velocity_d.get());
    EXPECT_TRUE(AllNear(p_d.Download(), p, 1e-6, 1e-6));
    EXPECT_TRUE(AllNear(velocity_d.Download(), velocity, 1e-6, 1e-6));
  }
}

// ------------------------------------------------------------------------------------------------
// Random fills: the same Philox counters on both devices.

TEST(CudaRandomTest, UniformAndBernoulliAreBitwiseCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(701);
  const uint64_t seed = 0xfedcba9876543210ULL, offset = (uint64_t{3} << 40) + 9;
  for (int64_t n : kSizes) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    // Integer Philox rounds and an exact int-to-float conversion: bit for bit.
    std::vector<float> want(n);
    UniformCpu<float>(n, seed, offset, want.data());
    DeviceBuffer<float> y_d(n);
    UniformCuda(n, seed, offset, y_d.get());
    EXPECT_TRUE(Bitwise(y_d.Download(), want));

    const std::vector<float> p = RandomVector(n, 0.0f, 1.0f, rng);
    BernoulliCpu<float>(n, seed, offset, p.data(), want.data());
    DeviceBuffer<float> p_d(p);
    BernoulliCuda(n, seed, offset, p_d.get(), y_d.get());
    EXPECT_TRUE(Bitwise(y_d.Download(), want));
  }
}

TEST(CudaRandomTest, NormalMatchesCpu) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  const uint64_t seed = 2024, offset = 11;
  for (int64_t n : kSizes) {
    SCOPED_TRACE(::testing::Message() << "n " << n);
    std::vector<float> want(n);
    NormalCpu<float>(n, seed, offset, want.data());
    DeviceBuffer<float> y_d(n);
    NormalCuda(n, seed, offset, y_d.get());
    // Box-Muller through CUDA's logf/cosf/sinf (<= 2 ulp) against glibc's: ~4 ulp of |eps| <= 6,
    // so rtol 2e-6; atol 1e-6 for values near a zero of cos or sin.
    EXPECT_TRUE(AllNear(y_d.Download(), want, 1e-6, 2e-6));
  }
}

// ------------------------------------------------------------------------------------------------
// GEMM

struct GemmShape {
  int64_t M, N, K;
};
// Odd sizes; K == 0 (C = beta C); the VAE's GEMMs: the encoder's x W1^T (128, 400, 784), the
// decoder's output layer and the encoder's dx (128, 784, 400), dW1 = dh^T x (400, 784, 128), the
// latent layers and their gradients (128, 20, 400), (128, 400, 20), (20, 400, 128); and
// (1500, 1500, 67): 144 tiles of 128 x 128, the big-tile path on any GPU with at most 144 SMs.
const GemmShape kGemmShapes[] = {{1, 1, 1},       {7, 7, 7},       {1, 1000, 31},   {31, 127, 7},
                                 {127, 31, 784},  {1000, 7, 31},   {7, 1000, 127},  {3, 5, 0},
                                 {128, 400, 784}, {128, 784, 400}, {400, 784, 128}, {128, 20, 400},
                                 {128, 400, 20},  {20, 400, 128},  {1500, 1500, 67}};

// The logical (rows, cols) matrix x stored as its op(.) requires: as it is, or transposed (stored
// (cols, rows)), with row stride ld, after `shift` floats. Everything that is not an element is
// NaN, so a kernel that reads padding or writes outside the matrix shows.
std::vector<float> Store(const std::vector<float>& x, int64_t rows, int64_t cols, bool transposed,
                         int64_t ld, int64_t shift) {
  const int64_t stored_rows = transposed ? cols : rows;
  std::vector<float> out(static_cast<size_t>(shift + stored_rows * ld), kNaN);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      out[shift + (transposed ? c * ld + r : r * ld + c)] = x[r * cols + c];
    }
  }
  return out;
}

std::vector<double> ToDouble(const std::vector<float>& x, bool absolute = false) {
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = absolute ? std::fabs(x[i]) : x[i];
  return out;
}

// The (M, N) elements of C stored with row stride ldc after `shift` floats; sets *padding_ok to
// whether every other float is still NaN.
std::vector<float> Extract(const std::vector<float>& stored, int64_t M, int64_t N, int64_t ldc,
                           int64_t shift, bool* padding_ok) {
  std::vector<float> out(M * N);
  *padding_ok = true;
  for (int64_t i = 0; i < static_cast<int64_t>(stored.size()); ++i) {
    const int64_t r = (i - shift) / ldc, c = (i - shift) % ldc;
    if (i >= shift && c < N) {
      out[r * N + c] = stored[i];
    } else if (!std::isnan(stored[i])) {
      *padding_ok = false;
    }
  }
  return out;
}

// Passes when |got[i] - want[i]| <= rtol * bound[i] for every element of an (M, N) matrix: the
// atol + rtol |ref| rule with |ref| replaced by the GEMM's error scale (see below).
::testing::AssertionResult WithinBound(const std::vector<float>& got,
                                       const std::vector<double>& want,
                                       const std::vector<double>& bound, double rtol, int64_t N) {
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(got[i] - want[i]) <= rtol * bound[i])) {
      if (bad++ == 0) first = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << got.size() << " elements differ; first C[" << first / N << ", "
         << first % N << "]: got " << got[first] << ", want " << want[first] << ", |diff| "
         << std::fabs(got[first] - want[first]) << " > " << rtol * bound[first];
}

TEST(CudaGemmTest, AllTransposesMatchReferenceAndCublas) {
  if (!latent::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(801);
  struct Variant {
    const char* name;
    int64_t pad, shift;  // extra floats per row; floats before the first element
    float alpha, beta;
  };
  // aligned: leading dimensions as the shapes give them (float4 loads where they are multiples of
  // 4), beta == 0 over a C full of NaN. ragged: odd leading dimensions, pointers one float off
  // 16-byte alignment (scalar loads and stores throughout), and beta != 0.
  const Variant variants[] = {{"aligned", 0, 0, 1.0f, 0.0f}, {"ragged", 3, 1, -0.75f, 0.5f}};
  for (const GemmShape& s : kGemmShapes) {
    const int64_t M = s.M, N = s.N, K = s.K;
    const std::vector<float> a = RandomVector(M * K, -1.0f, 1.0f, rng);   // op(A): (M, K)
    const std::vector<float> b = RandomVector(K * N, -1.0f, 1.0f, rng);   // op(B): (K, N)
    const std::vector<float> c0 = RandomVector(M * N, -1.0f, 1.0f, rng);  // C before: (M, N)
    for (const Variant& v : variants) {
      // Reference in double, and the error bound of a float GEMM: each element of a K-term float
      // dot product (FMA or not, any order) is within K u sum_k |a_ik b_kj| of the exact one,
      // u = 2^-24, plus ~3 u for the alpha, beta scaling and the final add. So rtol = (K + 4) u
      // against "|ref|" = |alpha| |op(A)| |op(B)| + |beta| |C| (computed by the same reference
      // GEMM), and atol = 0: cancellation makes |C| itself no measure of the error.
      std::vector<double> want = v.beta == 0.0f ? std::vector<double>(M * N) : ToDouble(c0);
      std::vector<double> bound = v.beta == 0.0f ? std::vector<double>(M * N) : ToDouble(c0, true);
      const std::vector<double> a_d = ToDouble(a), b_d = ToDouble(b);
      const std::vector<double> abs_a = ToDouble(a, true), abs_b = ToDouble(b, true);
      GemmRefCpu<double>(false, false, M, N, K, v.alpha, a_d.data(), K, b_d.data(), N, v.beta,
                         want.data(), N);
      GemmRefCpu<double>(false, false, M, N, K, std::fabs(v.alpha), abs_a.data(), K, abs_b.data(),
                         N, std::fabs(v.beta), bound.data(), N);
      const double rtol = (K + 4) * std::ldexp(1.0, -24);
      for (bool trans_a : {false, true}) {
        for (bool trans_b : {false, true}) {
          SCOPED_TRACE(::testing::Message()
                       << "M " << M << ", N " << N << ", K " << K << ", " << v.name << ", trans_a "
                       << trans_a << ", trans_b " << trans_b);
          const int64_t lda = (trans_a ? M : K) + v.pad, ldb = (trans_b ? K : N) + v.pad;
          const int64_t ldc = N + v.pad;
          DeviceBuffer<float> a_dev(Store(a, M, K, trans_a, lda, v.shift));
          DeviceBuffer<float> b_dev(Store(b, K, N, trans_b, ldb, v.shift));
          const std::vector<float> c_init =
              v.beta == 0.0f ? Store(std::vector<float>(M * N, kNaN), M, N, false, ldc, v.shift)
                             : Store(c0, M, N, false, ldc, v.shift);
          const float* a_ptr = a_dev.get() == nullptr ? nullptr : a_dev.get() + v.shift;
          const float* b_ptr = b_dev.get() == nullptr ? nullptr : b_dev.get() + v.shift;

          DeviceBuffer<float> c_ours(c_init);
          GemmCuda(trans_a, trans_b, M, N, K, v.alpha, a_ptr, lda, b_ptr, ldb, v.beta,
                   c_ours.get() + v.shift, ldc);
          bool padding_ok = false;
          const std::vector<float> ours =
              Extract(c_ours.Download(), M, N, ldc, v.shift, &padding_ok);
          EXPECT_TRUE(padding_ok) << "GemmCuda wrote outside C";
          EXPECT_TRUE(WithinBound(ours, want, bound, rtol, N)) << "GemmCuda vs reference";

          if (K == 0) continue;  // cuBLAS's handling of empty operands is not under test
          DeviceBuffer<float> c_cublas(c_init);
          GemmCublas(trans_a, trans_b, M, N, K, v.alpha, a_ptr, lda, b_ptr, ldb, v.beta,
                     c_cublas.get() + v.shift, ldc);
          const std::vector<float> theirs =
              Extract(c_cublas.Download(), M, N, ldc, v.shift, &padding_ok);
          EXPECT_TRUE(padding_ok) << "GemmCublas wrote outside C";
          // cuBLAS against the reference checks the row-major mapping; ours against cuBLAS: both
          // lie within the bound of the exact result, so within twice it of each other.
          EXPECT_TRUE(WithinBound(theirs, want, bound, rtol, N)) << "GemmCublas vs reference";
          EXPECT_TRUE(WithinBound(ours, ToDouble(theirs), bound, 2 * rtol, N))
              << "GemmCuda vs GemmCublas";
        }
      }
    }
  }
}

}  // namespace
}  // namespace latent::kernels

#endif  // LATENT_WITH_CUDA

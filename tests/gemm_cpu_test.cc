// Tests for the CPU GEMMs: GemmRefCpu against products worked out by hand, then GemmCpu (the
// optimized f32 path) against GemmRefCpu<double> on the same inputs.
//
// M, N, K as in kernels/gemm.h: op(A) is (M, K), op(B) is (K, N), C is (M, N).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/gemm.h"

namespace latent::kernels {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// --- GemmRefCpu<double> by hand ----------------------------------------------------------------
//
// op(A) = [1 2 3; 4 5 6] (2 x 3), op(B) = [7 8; 9 10; 11 12] (3 x 2), so
// op(A) op(B) = [1*7+2*9+3*11  1*8+2*10+3*12; 4*7+5*9+6*11  4*8+5*10+6*12] = [58 64; 139 154].
// Every matrix is stored with two extra NaN columns, so reading past a row, or using the wrong
// leading dimension, turns the result into NaN.
constexpr int64_t kPad = 2;

// Stores the rows of `rows` (r x c, row-major) with row stride c + kPad, NaN in the padding.
std::vector<double> Padded(const std::vector<double>& rows, int64_t r, int64_t c) {
  std::vector<double> out(r * (c + kPad), kNaN);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) out[i * (c + kPad) + j] = rows[i * c + j];
  return out;
}

class GemmRefHandTest : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(GemmRefHandTest, TwoByThreeTimesThreeByTwo) {
  const auto [trans_a, trans_b] = GetParam();
  // A: (2, 3), or its transpose (3, 2) when trans_a; B: (3, 2), or (2, 3) when trans_b.
  const std::vector<double> a =
      trans_a ? Padded({1, 4, 2, 5, 3, 6}, 3, 2) : Padded({1, 2, 3, 4, 5, 6}, 2, 3);
  const std::vector<double> b =
      trans_b ? Padded({7, 9, 11, 8, 10, 12}, 2, 3) : Padded({7, 8, 9, 10, 11, 12}, 3, 2);
  const int64_t lda = (trans_a ? 2 : 3) + kPad, ldb = (trans_b ? 3 : 2) + kPad, ldc = 2 + kPad;

  // beta == 0: C starts as NaN and must come out as the plain product.
  std::vector<double> c = Padded({kNaN, kNaN, kNaN, kNaN}, 2, 2);
  GemmRefCpu<double>(trans_a, trans_b, 2, 2, 3, 1.0, a.data(), lda, b.data(), ldb, 0.0, c.data(),
                     ldc);
  EXPECT_EQ(c[0], 58.0);
  EXPECT_EQ(c[1], 64.0);
  EXPECT_EQ(c[ldc + 0], 139.0);
  EXPECT_EQ(c[ldc + 1], 154.0);

  // alpha = 2, beta = 0.5 on C = [1 2; 3 4]: 2 * [58 64; 139 154] + 0.5 * C.
  c = Padded({1, 2, 3, 4}, 2, 2);
  GemmRefCpu<double>(trans_a, trans_b, 2, 2, 3, 2.0, a.data(), lda, b.data(), ldb, 0.5, c.data(),
                     ldc);
  EXPECT_EQ(c[0], 116.5);
  EXPECT_EQ(c[1], 129.0);
  EXPECT_EQ(c[ldc + 0], 279.5);
  EXPECT_EQ(c[ldc + 1], 310.0);
  EXPECT_TRUE(std::isnan(c[2]) && std::isnan(c[3])) << "the padding of C was written";
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmRefHandTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

// --- GemmCpu against GemmRefCpu<double> --------------------------------------------------------

struct Problem {
  int64_t M, N, K;
  float alpha = 1.0f;
  float beta = 0.0f;
  int64_t pad = 0;     // extra columns in every stored matrix: ld = minimum + pad
  bool nan_c = false;  // C starts as NaN (only meaningful with beta == 0)
};

std::string Name(const ::testing::TestParamInfo<std::tuple<bool, bool, Problem>>& info) {
  const auto& [ta, tb, p] = info.param;
  std::string name = std::string(ta ? "T" : "N") + (tb ? "T" : "N") + "_" + std::to_string(p.M) +
                     "x" + std::to_string(p.N) + "x" + std::to_string(p.K);
  if (p.alpha != 1.0f || p.beta != 0.0f) name += "_scaled";
  if (p.pad > 0) name += "_pad" + std::to_string(p.pad);
  if (p.nan_c) name += "_nanC";
  return name;
}

// Tolerance |got - ref| <= kAtolPerTerm * K * |alpha| + kRtol * |ref|.
// GemmCpu accumulates K products in float. With inputs uniform in [-1, 1] a product has variance
// 1/9, so the k-th partial sum is about sqrt(k) / 3 and its rounding adds up to u = 2^-24 of it;
// K independent roundings add up to about u * K / 4 (the worst case, all of them one way, is
// u * K^2 / 4). 4u per term (kAtolPerTerm = 2.4e-7) is sixteen times that: the largest error over
// all the cases below, a few hundred thousand elements, measured at a quarter of the tolerance.
// Yet one dropped or doubled product (|a * b| is 0.25 on average) is over a thousand times the
// tolerance even at K = 784. kRtol covers the final roundings of alpha * sum + beta * C.
constexpr double kAtolPerTerm = 2.4e-7;
constexpr double kRtol = 1e-6;

class GemmCpuTest : public ::testing::TestWithParam<std::tuple<bool, bool, Problem>> {};

TEST_P(GemmCpuTest, MatchesReference) {
  const auto& [trans_a, trans_b, p] = GetParam();
  // A: (M, K), or (K, M) when trans_a; B: (K, N), or (N, K) when trans_b; C: (M, N).
  const int64_t a_rows = trans_a ? p.K : p.M, a_cols = trans_a ? p.M : p.K;
  const int64_t b_rows = trans_b ? p.N : p.K, b_cols = trans_b ? p.K : p.N;
  const int64_t lda = a_cols + p.pad, ldb = b_cols + p.pad, ldc = p.N + p.pad;

  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(a_rows * lda), b(b_rows * ldb), c(p.M * ldc);
  for (float& x : a) x = uniform(rng);
  for (float& x : b) x = uniform(rng);
  for (float& x : c) x = p.nan_c ? std::numeric_limits<float>::quiet_NaN() : uniform(rng);
  const std::vector<float> c_before = c;

  // The reference sees exactly the float inputs, in double: the difference is GemmCpu's error.
  const std::vector<double> a64(a.begin(), a.end()), b64(b.begin(), b.end());
  std::vector<double> ref(c.begin(), c.end());
  GemmRefCpu<double>(trans_a, trans_b, p.M, p.N, p.K, p.alpha, a64.data(), lda, b64.data(), ldb,
                     p.beta, ref.data(), ldc);
  GemmCpu(trans_a, trans_b, p.M, p.N, p.K, p.alpha, a.data(), lda, b.data(), ldb, p.beta, c.data(),
          ldc);

  const double atol = kAtolPerTerm * static_cast<double>(p.K) * std::fabs(p.alpha);
  int64_t bad = 0;
  for (int64_t i = 0; i < p.M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const int64_t at = i * ldc + j;
      if (j >= p.N) {  // padding of C: must be left exactly as it was (NaN compares by bits)
        if (std::memcmp(&c[at], &c_before[at], sizeof(float)) != 0 && ++bad <= 5)
          ADD_FAILURE() << "padding C[" << i << ", " << j << "] was written";
        continue;
      }
      const double tol = atol + kRtol * std::fabs(ref[at]);
      if (!(std::fabs(c[at] - ref[at]) <= tol) && ++bad <= 5)
        ADD_FAILURE() << "C[" << i << ", " << j << "] = " << c[at] << ", reference " << ref[at]
                      << ", tolerance " << tol;
    }
  }
  EXPECT_EQ(bad, 0) << "elements out of tolerance";
}

// Odd sizes straddle the micro-tile and cache-block edges (1, 7, 31, 127, 1000). K = 1100 and
// 2100 span several depth blocks, M = 400 and 1000 with K = 784 several row blocks, N = 2100
// several column blocks (31 x 2100 x 1100: column and depth blocks, on the threaded path). The
// 128-row shapes are the MNIST VAE's layers at batch 128.
const Problem kProblems[] = {
    {1, 1, 1},
    {7, 31, 127},
    {31, 127, 7},
    {127, 7, 31},
    {127, 127, 127},
    {1, 784, 400},
    {400, 1, 784},
    {1000, 7, 31},
    {7, 1000, 2100},
    {1000, 31, 784},
    {3, 2100, 5},
    {31, 2100, 1100},
    {128, 400, 784},
    {128, 20, 400},
    {128, 400, 20},
    {128, 784, 400},
    {400, 784, 128},
    {784, 400, 128},
    {7, 31, 127, -0.75f, 0.5f},
    {128, 400, 784, 0.5f, -1.25f},
    {1000, 7, 31, 2.0f, 1.0f},
    {31, 127, 7, 1.0f, 0.0f, 3},
    {127, 31, 784, -1.5f, 0.25f, 5},
    {128, 400, 784, 1.0f, 1.0f, 16},
    {7, 1000, 2100, -0.75f, 0.5f, 3},
    {7, 31, 127, 1.0f, 0.0f, 0, true},
    {128, 400, 784, 0.5f, 0.0f, 7, true},
    {31, 2100, 1100, 1.0f, 0.0f, 0, true},
};

INSTANTIATE_TEST_SUITE_P(Shapes, GemmCpuTest,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool(),
                                            ::testing::ValuesIn(kProblems)),
                         Name);

// K == 0: op(A) op(B) is an empty sum, so C = beta * C; with beta == 0 that is zero even when C
// held NaN.
TEST(GemmCpuEdgeTest, EmptyDepthScalesC) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> c = {1.0f, -2.0f, 3.0f, 4.0f, 5.0f, -6.0f};  // C: (2, 3)
  GemmCpu(false, false, 2, 3, 0, 1.0f, nullptr, 1, nullptr, 3, 0.5f, c.data(), 3);
  EXPECT_EQ(c, (std::vector<float>{0.5f, -1.0f, 1.5f, 2.0f, 2.5f, -3.0f}));
  c.assign(6, nan);
  GemmCpu(true, true, 2, 3, 0, 1.0f, nullptr, 2, nullptr, 1, 0.0f, c.data(), 3);
  EXPECT_EQ(c, std::vector<float>(6, 0.0f));
}

// M == 0 or N == 0: there is no C to write, and nothing else may be touched.
TEST(GemmCpuEdgeTest, EmptyOutputIsANoOp) {
  std::vector<float> c = {1.0f, 2.0f};
  const std::vector<float> a = {1.0f, 1.0f}, b = {1.0f, 1.0f};
  GemmCpu(false, false, 0, 2, 1, 1.0f, a.data(), 1, b.data(), 2, 0.0f, c.data(), 2);
  GemmCpu(false, false, 1, 0, 2, 1.0f, a.data(), 2, b.data(), 1, 0.0f, c.data(), 1);
  EXPECT_EQ(c, (std::vector<float>{1.0f, 2.0f}));
}

}  // namespace
}  // namespace latent::kernels

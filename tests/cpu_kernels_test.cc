// Tests for the CPU reference kernels (kernels/cpu/*.cc), the specification the CUDA kernels are
// compared against. Expected values are written by hand or computed here from the textbook
// formula (e.g. BCE as -t log s - (1-t) log(1-s)), never from the kernel under test.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "kernels/classify.h"
#include "kernels/error.h"
#include "kernels/philox.h"
#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "kernels/optim.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/reparam_kl.h"
#include "kernels/rows.h"

namespace latent::kernels {
namespace {

using Vec = std::vector<double>;

double TextbookSigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// One activation with its value and derivative written independently of elementwise.cc.
struct UnaryCase {
  Activation op;
  double alpha;
  Vec x;
  std::function<double(double)> f, df;
};

TEST(UnaryCpu, ForwardAndBackwardMatchTextbookFormulas) {
  const Vec xs = {-2.5, -0.3, 0.4, 1.7};
  const std::vector<UnaryCase> cases = {
      {Activation::kRelu, 0, xs, [](double x) { return x > 0 ? x : 0; },
       [](double x) { return x > 0 ? 1.0 : 0.0; }},
      {Activation::kLeakyRelu, 0.1, xs, [](double x) { return x > 0 ? x : 0.1 * x; },
       [](double x) { return x > 0 ? 1.0 : 0.1; }},
      {Activation::kSigmoid, 0, xs, TextbookSigmoid,
       [](double x) { return std::exp(-x) / std::pow(1 + std::exp(-x), 2); }},
      {Activation::kTanh, 0, xs, [](double x) { return std::tanh(x); },
       [](double x) { return 1 / std::pow(std::cosh(x), 2); }},
      {Activation::kSoftplus, 0, xs, [](double x) { return std::log(1 + std::exp(x)); },
       TextbookSigmoid},
      {Activation::kExp, 0, xs, [](double x) { return std::exp(x); },
       [](double x) { return std::exp(x); }},
      {Activation::kLog, 0, {0.25, 1.0, 2.0, 7.5}, [](double x) { return std::log(x); },
       [](double x) { return 1 / x; }},
      {Activation::kSquare, 0, xs, [](double x) { return x * x; }, [](double x) { return 2 * x; }},
      {Activation::kScale, -1.5, xs, [](double x) { return -1.5 * x; },
       [](double) { return -1.5; }},
      {Activation::kIdentity, 0, xs, [](double x) { return x; }, [](double) { return 1.0; }},
      {Activation::kAddScalar, 0.75, xs, [](double x) { return x + 0.75; },
       [](double) { return 1.0; }},
      {Activation::kAbs, 0, xs, [](double x) { return x < 0 ? -x : x; },
       [](double x) { return x < 0 ? -1.0 : 1.0; }},
  };
  EXPECT_EQ(cases.size(), static_cast<size_t>(kNumActivations)) << "an activation has no case";
  for (const UnaryCase& c : cases) {
    const int64_t n = static_cast<int64_t>(c.x.size());
    Vec y(n), dy(n), dx(n);
    // dy is not 1, so a backward that forgets to multiply by dy is caught.
    for (int64_t i = 0; i < n; ++i) dy[i] = 0.7 - 0.4 * static_cast<double>(i);
    UnaryForwardCpu<double>(c.op, n, c.alpha, c.x.data(), y.data());
    UnaryBackwardCpu<double>(c.op, n, c.alpha, c.x.data(), y.data(), dy.data(), dx.data());
    for (int64_t i = 0; i < n; ++i) {
      SCOPED_TRACE(testing::Message() << "op " << static_cast<int>(c.op) << ", x = " << c.x[i]);
      EXPECT_NEAR(y[i], c.f(c.x[i]), 1e-14);
      EXPECT_NEAR(dx[i], dy[i] * c.df(c.x[i]), 1e-14);
    }
  }
}

TEST(UnaryCpu, UnknownOpThrows) {
  const double x = 1.0;
  double y = 0.0;
  EXPECT_THROW(UnaryForwardCpu<double>(Activation::kCount, 1, 0.0, &x, &y), Error);
  EXPECT_THROW(UnaryBackwardCpu<double>(Activation::kCount, 1, 0.0, &x, &x, &x, &y), Error);
}

TEST(UnaryCpu, SigmoidAndSoftplusStayFiniteAndAccurateAtLargeMagnitude) {
  // In float, e^100 overflows and 1 + e^-30 rounds to 1; the stable forms avoid both.
  const std::vector<float> x = {-100, -30, 30, 100};
  const std::vector<float> dy = {1, 1, 1, 1};
  std::vector<float> s(4), sp(4), ds(4), dsp(4);
  UnaryForwardCpu<float>(Activation::kSigmoid, 4, 0, x.data(), s.data());
  UnaryForwardCpu<float>(Activation::kSoftplus, 4, 0, x.data(), sp.data());
  UnaryBackwardCpu<float>(Activation::kSigmoid, 4, 0, x.data(), s.data(), dy.data(), ds.data());
  UnaryBackwardCpu<float>(Activation::kSoftplus, 4, 0, x.data(), sp.data(), dy.data(), dsp.data());
  const double e30 = std::exp(-30.0), e100 = std::exp(-100.0);
  const double expected_s[4] = {e100, e30, 1, 1}, expected_sp[4] = {e100, e30, 30, 100};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(testing::Message() << "x = " << x[i]);
    EXPECT_TRUE(std::isfinite(ds[i]) && std::isfinite(dsp[i]));
    EXPECT_NEAR(s[i], expected_s[i], 1e-6 * expected_s[i] + 1e-45);  // relative, even when tiny
    EXPECT_NEAR(sp[i], expected_sp[i], 1e-6 * expected_sp[i] + 1e-45);
    EXPECT_NEAR(dsp[i], expected_s[i], 1e-6 * expected_s[i] + 1e-45);  // softplus' = sigmoid
    EXPECT_NEAR(ds[i], 0, 1e-12);
  }
}

TEST(ElementwiseCpu, BinaryAxpbyFillBroadcastAndBias) {
  const Vec a = {1, 2, -3}, b = {0.5, -4, 2};
  Vec c(3);
  BinaryCpu<double>(BinaryOp::kAdd, 3, a.data(), b.data(), c.data());
  EXPECT_EQ(c, (Vec{1.5, -2, -1}));
  BinaryCpu<double>(BinaryOp::kSub, 3, a.data(), b.data(), c.data());
  EXPECT_EQ(c, (Vec{0.5, 6, -5}));
  BinaryCpu<double>(BinaryOp::kMul, 3, a.data(), b.data(), c.data());
  EXPECT_EQ(c, (Vec{0.5, -8, -6}));

  Vec y = {10, 20, 30};
  AxpbyCpu<double>(3, 2, a.data(), 3, y.data());
  EXPECT_EQ(y, (Vec{32, 64, 84}));
  // b == 0 overwrites: a NaN already in y (uninitialized memory) must not leak through 0 * NaN.
  y = {std::numeric_limits<double>::quiet_NaN(), 1, 1};
  AxpbyCpu<double>(3, -1, a.data(), 0, y.data());
  EXPECT_EQ(y, (Vec{-1, -2, 3}));

  FillCpu<double>(3, 4.5, y.data());
  EXPECT_EQ(y, (Vec{4.5, 4.5, 4.5}));
  const double s = 3;
  BroadcastScalarCpu<double>(3, 0.25, &s, y.data());
  EXPECT_EQ(y, (Vec{0.75, 0.75, 0.75}));

  Vec m = {1, 2, 3, 4, 5, 6};  // (2, 3)
  const Vec bias = {10, 20, 30};
  AddBiasRowsCpu<double>(2, 3, bias.data(), m.data());
  EXPECT_EQ(m, (Vec{11, 22, 33, 14, 25, 36}));
}

TEST(ReduceCpu, SumColumnSumRowSum) {
  const Vec x = {1, 2, 3, 4, 5, 6};  // (2, 3)
  double total = 0;
  Vec cols(3), rows(2);
  SumCpu<double>(6, x.data(), &total);
  ColumnSumCpu<double>(2, 3, x.data(), cols.data());
  RowSumCpu<double>(2, 3, x.data(), rows.data());
  EXPECT_EQ(total, 21);
  EXPECT_EQ(cols, (Vec{5, 7, 9}));
  EXPECT_EQ(rows, (Vec{6, 15}));
}

TEST(ReduceCpu, FloatSumsAccumulateInDouble) {
  // 10^6 copies of 0.1f (= 0.100000001490116...) sum to 100000.0015, which is 100000 in float.
  // A float accumulator ends near 100958: once the total is large, each add rounds 0.1 to a
  // multiple of the total's spacing.
  const int64_t n = 1000000;
  const std::vector<float> x(n, 0.1f);
  float total = 0, row = 0, col = 0;
  SumCpu<float>(n, x.data(), &total);
  RowSumCpu<float>(1, n, x.data(), &row);
  ColumnSumCpu<float>(n, 1, x.data(), &col);
  EXPECT_EQ(total, 100000.0f);
  EXPECT_EQ(row, 100000.0f);
  EXPECT_EQ(col, 100000.0f);
}

TEST(LossCpu, BceWithLogitsMatchesTheLogForm) {
  const Vec x = {-2, -0.5, 0, 0.7, 1.5, 3};  // (2, 3), moderate, so the log form is accurate
  const Vec t = {0, 1, 0.3, 1, 0, 0.8};
  const Vec dout = {0.5, -2};
  Vec out(2), dx(6), dt(6), dx_only(6);
  BceWithLogitsForwardCpu<double>(2, 3, x.data(), t.data(), out.data());
  BceWithLogitsBackwardCpu<double>(2, 3, x.data(), t.data(), dout.data(), dx.data(), dt.data());
  BceWithLogitsBackwardCpu<double>(2, 3, x.data(), t.data(), dout.data(), dx_only.data(),
                                   nullptr);
  for (int r = 0; r < 2; ++r) {
    double expected = 0;
    for (int c = 0; c < 3; ++c) {
      const int i = r * 3 + c;
      const double s = TextbookSigmoid(x[i]);
      expected += -t[i] * std::log(s) - (1 - t[i]) * std::log(1 - s);
      EXPECT_NEAR(dx[i], dout[r] * (s - t[i]), 1e-14);
      EXPECT_NEAR(dt[i], dout[r] * std::log((1 - s) / s), 1e-14);  // d/dt of the log form
      EXPECT_EQ(dx_only[i], dx[i]);
    }
    EXPECT_NEAR(out[r], expected, 1e-13);
  }
}

TEST(LossCpu, BceWithLogitsIsFiniteForSaturatedLogits) {
  // Confidently wrong: the loss is |x| and the gradient s - t is +-1 (or 0.5 for t = 0.5).
  const std::vector<float> x = {100, -100, 80}, t = {0, 1, 0.5f}, dout = {1};
  std::vector<float> out(1), dx(3);
  BceWithLogitsForwardCpu<float>(1, 3, x.data(), t.data(), out.data());
  BceWithLogitsBackwardCpu<float>(1, 3, x.data(), t.data(), dout.data(), dx.data(), nullptr);
  EXPECT_FLOAT_EQ(out[0], 100 + 100 + (80 - 40));
  EXPECT_EQ(dx, (std::vector<float>{1, -1, 0.5f}));
}

TEST(LossCpu, MseRowsAndGradients) {
  const Vec a = {1, 2, 3, -1, 0, 4}, b = {0, 2, 5, 1, 0.5, 4};  // (2, 3)
  const Vec dout = {1, 0.5};
  Vec out(2), da(6), db(6), da_only(6);
  MseForwardCpu<double>(2, 3, a.data(), b.data(), out.data());
  MseBackwardCpu<double>(2, 3, a.data(), b.data(), dout.data(), da.data(), db.data());
  MseBackwardCpu<double>(2, 3, a.data(), b.data(), dout.data(), da_only.data(), nullptr);
  EXPECT_EQ(out, (Vec{1 + 0 + 4, 4 + 0.25 + 0}));
  EXPECT_EQ(da, (Vec{2, 0, -4, -2, -0.5, 0}));
  EXPECT_EQ(db, (Vec{-2, 0, 4, 2, 0.5, 0}));
  EXPECT_EQ(da_only, da);
}

constexpr uint64_t kSeed = 1234, kOffset = 7;

// The log-sum-exp of rows against the naive formula log(sum_c exp(x_c)) and softmax, evaluated
// in long double: its exponent range (e^+-11356 on x86-64 and aarch64) holds exp(+-1e4) without
// the max shift, so the reference shares nothing with the kernel. f64 results agree to rounding
// (rtol 1e-13: a 1000-term double sum and one log); f32 results to one float rounding of the
// result (rtol 2.5e-7, 2 ulp) and of the inputs (the kernels read f32 inputs, as the reference).
TEST(ClassifyCpu, RowLogSumExpMatchesTheNaiveFormulaAtOddShapes) {
  if (std::numeric_limits<long double>::max_exponent10 < 4400) {
    GTEST_SKIP() << "long double cannot hold exp(1e4): no naive reference here";
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  struct Case {
    int64_t R, C;
    Vec x;
  };
  std::mt19937 rng(71);
  auto uniform = [&](int64_t n, double lo, double hi) {
    std::uniform_real_distribution<double> dist(lo, hi);
    Vec v(n);
    for (double& e : v) e = static_cast<float>(dist(rng));  // exact in f32 too
    return v;
  };
  std::vector<Case> cases = {
      {1, 1, {0.75}},                          // one element: y = x, dx = dy
      {3, 1000, uniform(3000, -5, 5)},         // a long row
      {2, 7, uniform(14, -1e4, 1e4)},          // large magnitudes of both signs
      {1, 5, {1e4, 1e4 - 1, 1e4 - 2, -1e4, 9999.5}},  // exp(1e4) overflows without the shift
      {2, 3, {-kInf, 0.0, std::log(3.0), -kInf, -kInf, 2.5}},  // -inf entries weigh nothing
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.R << " x " << c.C);
    Vec y(c.R), dy = uniform(c.R, -2, 2), dx(c.R * c.C);
    RowLogSumExpForwardCpu<double>(c.R, c.C, c.x.data(), y.data());
    RowLogSumExpBackwardCpu<double>(c.R, c.C, c.x.data(), dy.data(), dx.data());
    std::vector<float> xf(c.x.begin(), c.x.end()), dyf(dy.begin(), dy.end());
    std::vector<float> yf(c.R), dxf(c.R * c.C);
    RowLogSumExpForwardCpu<float>(c.R, c.C, xf.data(), yf.data());
    RowLogSumExpBackwardCpu<float>(c.R, c.C, xf.data(), dyf.data(), dxf.data());
    for (int64_t r = 0; r < c.R; ++r) {
      long double sum = 0;
      for (int64_t j = 0; j < c.C; ++j) sum += std::exp(static_cast<long double>(c.x[r * c.C + j]));
      const double want = static_cast<double>(std::log(sum));
      EXPECT_NEAR(y[r], want, 1e-13 * std::fabs(want) + 1e-15) << "row " << r;
      EXPECT_NEAR(yf[r], want, 2.5e-7 * std::fabs(want) + 1e-7) << "row " << r;
      for (int64_t j = 0; j < c.C; ++j) {
        const int64_t i = r * c.C + j;
        const double p = static_cast<double>(std::exp(static_cast<long double>(c.x[i])) / sum);
        EXPECT_NEAR(dx[i], dy[r] * p, 1e-13 * std::fabs(dy[r] * p) + 1e-15) << "at " << i;
        EXPECT_NEAR(dxf[i], dy[r] * p, 2.5e-7 * std::fabs(dy[r] * p) + 1e-12) << "at " << i;
      }
    }
  }
  // By hand: (-inf, 0, log 3) -> log 4, softmax (0, 1/4, 3/4); a row of -inf -> -inf with no
  // gradient (no NaN); a +inf entry -> +inf.
  Vec y(2), dx(6);
  const Vec x = {-kInf, 0.0, std::log(3.0), -kInf, -kInf, -kInf}, dy = {1.0, 1.0};
  RowLogSumExpForwardCpu<double>(2, 3, x.data(), y.data());
  RowLogSumExpBackwardCpu<double>(2, 3, x.data(), dy.data(), dx.data());
  EXPECT_NEAR(y[0], std::log(4.0), 1e-15);
  EXPECT_EQ(y[1], -kInf);
  const Vec want_dx = {0.0, 0.25, 0.75, 0.0, 0.0, 0.0};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(dx[i], want_dx[i], 1e-15) << "at " << i;
  const Vec x_inf = {1.0, kInf};
  RowLogSumExpForwardCpu<double>(1, 2, x_inf.data(), y.data());
  EXPECT_EQ(y[0], kInf);
}

TEST(ReparamKlCpu, ForwardIsMuPlusSigmaEpsAndTheGaussianKl) {
  const int64_t B = 3, D = 5;
  Vec mu(B * D), logvar(B * D), z(B * D), kl(B);
  for (int64_t i = 0; i < B * D; ++i) {
    mu[i] = 0.3 * static_cast<double>(i % 7) - 0.9;
    logvar[i] = 0.25 * static_cast<double>(i % 5) - 0.6;
  }
  ReparamKlForwardCpu<double>(B, D, kSeed, kOffset, mu.data(), logvar.data(), z.data(), kl.data());
  for (int64_t b = 0; b < B; ++b) {
    double expected_kl = 0;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = b * D + d;
      const double eps = PhiloxNormal<double>(kSeed, kOffset, static_cast<uint64_t>(i));
      EXPECT_NEAR(z[i], mu[i] + std::sqrt(std::exp(logvar[i])) * eps, 1e-14);
      const double var = std::exp(logvar[i]);  // KL(N(mu, var) || N(0, 1))
      expected_kl += 0.5 * (var + mu[i] * mu[i] - 1 - std::log(var));
    }
    EXPECT_NEAR(kl[b], expected_kl, 1e-13);
    EXPECT_GT(kl[b], 0);
  }
  // q = N(0, I) is the prior itself: the KL is exactly zero.
  const std::vector<float> zeros(D, 0.0f);
  std::vector<float> zf(D), klf(1);
  ReparamKlForwardCpu<float>(1, D, kSeed, kOffset, zeros.data(), zeros.data(), zf.data(),
                             klf.data());
  EXPECT_EQ(klf[0], 0.0f);
  EXPECT_EQ(zf[0], PhiloxNormal<float>(kSeed, kOffset, 0));
}

TEST(ReparamKlCpu, BackwardMatchesCentralDifferences) {
  // L = sum w_z z + sum w_kl kl with random weights; dL/dmu and dL/dlogvar by central
  // differences in double. h = 1e-5 leaves truncation error ~h^2 and rounding ~1e-16/h, both
  // far below the 1e-8 tolerance. Each null-gradient path is checked on its own.
  const int64_t B = 2, D = 3, n = B * D;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> uniform(-1, 1);
  Vec mu(n), logvar(n), wz(n), wkl(B);
  for (double* v : {mu.data(), logvar.data(), wz.data()}) {
    for (int64_t i = 0; i < n; ++i) v[i] = uniform(rng);
  }
  for (double& w : wkl) w = uniform(rng);
  for (const std::pair<bool, bool>& paths : {std::pair{true, true}, {true, false}, {false, true}}) {
    const bool use_z = paths.first, use_kl = paths.second;
    SCOPED_TRACE(testing::Message() << "dz " << use_z << ", dkl " << use_kl);
    auto loss = [&](const Vec& m, const Vec& lv) {
      Vec z(n), kl(B);
      ReparamKlForwardCpu<double>(B, D, kSeed, kOffset, m.data(), lv.data(), z.data(), kl.data());
      double l = 0;
      for (int64_t i = 0; i < n && use_z; ++i) l += wz[i] * z[i];
      for (int64_t b = 0; b < B && use_kl; ++b) l += wkl[b] * kl[b];
      return l;
    };
    Vec dmu(n), dlogvar(n);
    ReparamKlBackwardCpu<double>(B, D, kSeed, kOffset, mu.data(), logvar.data(),
                                 use_z ? wz.data() : nullptr, use_kl ? wkl.data() : nullptr,
                                 dmu.data(), dlogvar.data());
    const double h = 1e-5;
    for (int64_t i = 0; i < n; ++i) {
      for (auto [param, grad] : {std::pair{&mu, &dmu}, {&logvar, &dlogvar}}) {
        Vec plus = *param, minus = *param;
        plus[i] += h;
        minus[i] -= h;
        const bool is_mu = param == &mu;
        const double numeric = (is_mu ? loss(plus, logvar) - loss(minus, logvar)
                                      : loss(mu, plus) - loss(mu, minus)) / (2 * h);
        EXPECT_NEAR((*grad)[i], numeric, 1e-8) << (is_mu ? "dmu[" : "dlogvar[") << i << "]";
      }
    }
  }
}

TEST(ReparamKlCpu, NoiseIsAFunctionOfSeedAndOffset) {
  const int64_t B = 4, D = 8, n = B * D;
  const std::vector<float> mu(n, 0.5f), logvar(n, -1.0f);
  std::vector<float> z1(n), z2(n), z3(n), kl(B);
  ReparamKlForwardCpu<float>(B, D, kSeed, kOffset, mu.data(), logvar.data(), z1.data(), kl.data());
  ReparamKlForwardCpu<float>(B, D, kSeed, kOffset, mu.data(), logvar.data(), z2.data(), kl.data());
  ReparamKlForwardCpu<float>(B, D, kSeed, kOffset + 1, mu.data(), logvar.data(), z3.data(),
                             kl.data());
  EXPECT_EQ(z1, z2);
  for (int64_t i = 0; i < n; ++i) EXPECT_NE(z1[i], z3[i]) << "element " << i;
}

TEST(RowsCpu, GatherScatterAddConcatSplit) {
  const Vec x = {0, 1, 10, 11, 20, 21, 30, 31};  // (4, 2)
  const std::vector<int32_t> index = {2, 0, 2};
  Vec out(6);
  GatherRowsCpu<double>(3, 2, index.data(), x.data(), out.data());
  EXPECT_EQ(out, (Vec{20, 21, 0, 1, 20, 21}));
  const std::vector<int32_t> labels = {7, 8, 9, 6};
  std::vector<int32_t> picked(3);
  GatherRowsCpu<int32_t>(3, 1, index.data(), labels.data(), picked.data());
  EXPECT_EQ(picked, (std::vector<int32_t>{9, 7, 9}));

  // Row 2 was gathered twice, so it receives both gradients; row 1 and row 3 none.
  const Vec dout = {1, 2, 3, 4, 5, 6};  // (3, 2)
  Vec dx(8, 0.0);
  ScatterAddRowsCpu<double>(3, 4, 2, index.data(), dout.data(), dx.data());
  EXPECT_EQ(dx, (Vec{3, 4, 0, 0, 1 + 5, 2 + 6, 0, 0}));

  const Vec a = {1, 2, 3, 4}, b = {-1, -2};  // (2, 2), (2, 1)
  Vec joined(6), a2(4, 0.0), b2(2, 0.0);
  ConcatColsCpu<double>(2, 2, 1, a.data(), b.data(), joined.data());
  EXPECT_EQ(joined, (Vec{1, 2, -1, 3, 4, -2}));
  SplitColsCpu<double>(2, 2, 1, joined.data(), a2.data(), b2.data());
  EXPECT_EQ(a2, a);
  EXPECT_EQ(b2, b);
  Vec b3(2, 0.0);
  SplitColsCpu<double>(2, 2, 1, joined.data(), nullptr, b3.data());
  EXPECT_EQ(b3, b);
}

TEST(OptimCpu, SgdMomentumTwoSteps) {
  // lr 0.1, momentum 0.9. p = 1, g = 0.5: v = 0.5, p = 0.95.  g = -0.2: v = 0.45 - 0.2 = 0.25,
  // p = 0.95 - 0.025 = 0.925. Second parameter: p = -2, g = 1 twice: v = 1, then 1.9; p = -2.1,
  // then -2.29.
  std::vector<float> p = {1, -2}, v = {0, 0};
  const std::vector<float> g1 = {0.5f, 1}, g2 = {-0.2f, 1};
  SgdCpu(2, 0.1f, 0.9f, p.data(), g1.data(), v.data());
  EXPECT_NEAR(p[0], 0.95, 1e-6);
  EXPECT_NEAR(p[1], -2.1, 1e-6);
  SgdCpu(2, 0.1f, 0.9f, p.data(), g2.data(), v.data());
  EXPECT_NEAR(v[0], 0.25, 1e-6);
  EXPECT_NEAR(p[0], 0.925, 1e-6);
  EXPECT_NEAR(p[1], -2.29, 1e-6);
}

TEST(OptimCpu, AdamTwoSteps) {
  // Step 1: m/c1 = g and sqrt(v/c2) = |g|, so every parameter moves by lr * g / (|g| + eps),
  // i.e. lr against the sign of its gradient, whatever the gradient's size.
  const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f;
  const std::vector<float> g1 = {0.5f, -3, 1e-3f, 1, 1, -4};
  std::vector<float> p = {0, 0, 0, 0, 0, 0}, m(6, 0.0f), v(6, 0.0f);
  AdamCpu(6, {lr, b1, b2, 1e-8f, 1 - b1, 1 - b2}, p.data(), g1.data(), m.data(), v.data());
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(p[i], g1[i] > 0 ? -lr : lr, 1e-6) << i;
  // Step 2, c1 = 1 - 0.81 = 0.19, c2 = 1 - 0.998001 = 0.001999, on the last three parameters:
  //   g = (1, 1):   m = 0.19, v = 0.001999: moves lr again.
  //   g = (1, -1):  m = 0.09 - 0.1 = -0.01, v = 0.001999: m/c1 = -1/19, so it moves back lr/19.
  //   g = (-4, -4): m = -0.76, v = 0.031984: m/c1 = -4, sqrt(v/c2) = 4, moves lr again.
  const std::vector<float> g2 = {0, 0, 0, 1, -1, -4};
  AdamCpu(6, {lr, b1, b2, 1e-8f, 1 - b1 * b1, 1 - b2 * b2}, p.data(), g2.data(), m.data(),
          v.data());
  EXPECT_NEAR(p[3], -2 * lr, 1e-6);
  EXPECT_NEAR(p[4], -lr + lr / 19, 1e-6);
  EXPECT_NEAR(p[5], 2 * lr, 1e-6);
  EXPECT_THROW(AdamCpu(6, {lr, b1, b2, 1e-8f, 0, 0}, p.data(), g2.data(), m.data(), v.data()),
               Error);
}

// The vectorized loop (kernels/cpu/optim.cc is built to vectorize) gives exactly what the same
// file's scalar code gives for each parameter, i.e. AdamCpu over one parameter at a time: sqrt and
// division are correctly rounded in every lane, and the compiler contracts the same products into
// FMAs in both. An odd size leaves a tail after the last full vector, and over 2^16 parameters the
// loop is split across threads.
TEST(OptimCpu, AdamCpuEqualsTheScalarFormulaBitForBit) {
  for (const int64_t n : {int64_t{1}, int64_t{37}, int64_t{100003}}) {
    SCOPED_TRACE(n);
    std::vector<float> g0(n), p(n), m(n, 0.0f), v(n, 0.0f);
    NormalCpu<float>(n, 11, 0, g0.data());
    NormalCpu<float>(n, 12, 0, p.data());
    std::vector<float> p_ref = p, m_ref = m, v_ref = v;
    for (int t = 1; t <= 3; ++t) {
      const float b1 = 0.9f, b2 = 0.999f;
      const AdamParams hp{1e-3f, b1, b2, 1e-8f, 1 - std::pow(b1, static_cast<float>(t)),
                          1 - std::pow(b2, static_cast<float>(t)), 1 - 1e-3f * 0.01f};
      std::vector<float> g(n);
      for (int64_t i = 0; i < n; ++i) g[i] = g0[i] * static_cast<float>(t) - 0.5f * p[i];
      AdamCpu(n, hp, p.data(), g.data(), m.data(), v.data());
      for (int64_t i = 0; i < n; ++i) AdamCpu(1, hp, &p_ref[i], &g[i], &m_ref[i], &v_ref[i]);
      ASSERT_EQ(p, p_ref) << "step " << t;
      ASSERT_EQ(m, m_ref) << "step " << t;
      ASSERT_EQ(v, v_ref) << "step " << t;
    }
  }
}

// The CPU's Adam flushes subnormals to zero (kernels/optim.h), and IEEE arithmetic (AdamStep
// called here, in a file run without flushing) keeps them. Each case puts one value into or
// across the subnormal range, next to ordinary ones; the kernel must give 0 exactly where IEEE's
// m or v is subnormal, and elsewhere m, v and p within one rounding of IEEE's: this file and the
// kernel's compile the formula's products into FMAs differently, and the flush moves p by at most
// lr 2^-126 / (c1 eps), ~1e-33 here, far below its ulp. (That the kernel's lanes equal its own
// scalar code bit for bit is the test above.) Over 2^16 parameters, so that the threads' loop is
// checked too; the caller's floating-point mode is left as it was.
TEST(OptimCpu, AdamFlushesSubnormalMomentsAndOtherwiseKeepsIeeeResults) {
  const float sub = 1e-39f;  // below 2^-126 ~ 1.18e-38
  ASSERT_EQ(std::fpclassify(sub), FP_SUBNORMAL);
  struct Case {
    float p, g, m, v;
  };
  const std::vector<Case> cases = {
      {0.5f, 0.0f, sub, sub},         // both moments subnormal, no gradient: they decay further
      {0.5f, 0.0f, 2e-38f, 1e-30f},   // m just above 2^-126: 0.9 m is still normal
      {0.5f, 0.0f, 1.2e-38f, 1e-30f}, // 0.9 m falls below 2^-126
      {0.5f, 1e-20f, 0.0f, 0.0f},     // (1 - b2) g^2 = 1e-43 is subnormal; m = 1e-21 is not
      {-0.25f, sub, 0.0f, 0.0f},      // a subnormal gradient
      {sub, 1.0f, 0.0f, 0.0f},        // a subnormal parameter
      {0.125f, -0.75f, 0.01f, 2e-4f}, // ordinary values
  };
  const int64_t n = (int64_t{1} << 16) + 3;
  std::vector<float> p(n), g(n), m(n), v(n);
  for (int64_t i = 0; i < n; ++i) {
    const Case& c = cases[i % cases.size()];
    p[i] = c.p, g[i] = c.g, m[i] = c.m, v[i] = c.v;
  }
  std::vector<float> p_ieee = p, m_ieee = m, v_ieee = v;
  const AdamParams hp{1e-3f, 0.9f, 0.999f, 1e-8f, 1 - 0.9f * 0.9f, 1 - 0.999f * 0.999f};
  for (int64_t i = 0; i < n; ++i) AdamStep(hp, g[i], p_ieee[i], m_ieee[i], v_ieee[i]);
#if defined(__SSE__)
  const unsigned mode = _mm_getcsr();
#endif
  AdamCpu(n, hp, p.data(), g.data(), m.data(), v.data());
#if defined(__SSE__)
  EXPECT_EQ(_mm_getcsr(), mode);
#endif
  const auto ulp = [](float x) { return std::nextafter(std::fabs(x), INFINITY) - std::fabs(x); };
  int flushed = 0;
  for (int64_t i = 0; i < n; ++i) {
    SCOPED_TRACE(i % cases.size());
    for (const auto& [got, ieee] : {std::pair{m[i], m_ieee[i]}, std::pair{v[i], v_ieee[i]}}) {
      if (std::fpclassify(ieee) == FP_SUBNORMAL) {
        ASSERT_EQ(got, 0.0f) << "IEEE gives " << ieee;
        ++flushed;
      } else {
        ASSERT_LE(std::fabs(got - ieee), ulp(ieee)) << got << " against IEEE's " << ieee;
      }
    }
    ASSERT_LE(std::fabs(p[i] - p_ieee[i]), ulp(p_ieee[i])) << p[i] << " against " << p_ieee[i];
  }
  EXPECT_GT(flushed, 0) << "no case reached the subnormal range";
}

// The statistical tests below read fixed Philox streams, so they are deterministic; the bound
// of 4 standard errors is what a correct generator passes for all but ~6e-5 of seeds, while a
// wrong word, a shifted interval or a biased transform moves the mean or variance far past it.
constexpr int64_t kDraws = 100000;

TEST(RandomCpu, UniformIsTheStreamAndLiesInTheOpenUnitInterval) {
  std::vector<float> u(kDraws);
  UniformCpu<float>(kDraws, kSeed, kOffset, u.data());
  double sum = 0;
  for (float x : u) {
    ASSERT_TRUE(x > 0 && x < 1) << x;
    sum += x;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 4 * std::sqrt(1.0 / 12 / kDraws));  // var of U(0,1) is 1/12
  Vec ud(7);  // 7: a partial last block of four
  UniformCpu<double>(7, kSeed, kOffset, ud.data());
  for (uint64_t i = 0; i < 7; ++i) EXPECT_EQ(ud[i], PhiloxUniform(kSeed, kOffset, i)) << i;
}

TEST(RandomCpu, NormalHasMeanZeroAndVarianceOne) {
  Vec z(kDraws);
  NormalCpu<double>(kDraws, kSeed, kOffset, z.data());
  double sum = 0, sum_sq = 0;
  for (double x : z) sum += x;
  const double mean = sum / kDraws;
  for (double x : z) sum_sq += (x - mean) * (x - mean);
  EXPECT_NEAR(mean, 0, 4 / std::sqrt(double(kDraws)));
  EXPECT_NEAR(sum_sq / kDraws, 1, 4 * std::sqrt(2.0 / kDraws));  // var of s^2 is 2 / n
  std::vector<float> zf(5);
  NormalCpu<float>(5, kSeed, kOffset, zf.data());
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(zf[i], PhiloxNormal<float>(kSeed, kOffset, i)) << i;
}

TEST(RandomCpu, BernoulliFrequencyIsP) {
  const double p = 0.3;
  const std::vector<float> probs(kDraws, static_cast<float>(p));
  std::vector<float> y(kDraws);
  BernoulliCpu<float>(kDraws, kSeed, kOffset, probs.data(), y.data());
  double ones = 0;
  for (float x : y) ones += x;
  EXPECT_NEAR(ones / kDraws, p, 4 * std::sqrt(p * (1 - p) / kDraws));
  // Element i is 1 exactly when u_i < p_i (strictly: p_6 = u_6 gives 0); p = 0 never fires and
  // p = 1 always does.
  const Vec edge = {0, 1, 0.5, 0, 1, 0.5, PhiloxUniform(kSeed, kOffset, 6)};
  Vec ye(7);
  BernoulliCpu<double>(7, kSeed, kOffset, edge.data(), ye.data());
  for (uint64_t i = 0; i < 7; ++i) {
    EXPECT_EQ(ye[i], PhiloxUniform(kSeed, kOffset, i) < edge[i] ? 1.0 : 0.0) << i;
  }
  EXPECT_EQ(ye[0] + ye[3] + ye[6], 0);
  EXPECT_EQ(ye[1] + ye[4], 2);
}

TEST(CpuKernels, ResultsDoNotDependOnTheThreadCount) {
  // MNIST-sized, so every kernel below takes its parallel path when threads are available.
  const int64_t rows = 128, cols = 784, n = rows * cols;
  std::vector<float> x(n), t(n);
  UniformCpu<float>(n, kSeed, kOffset, t.data());
  NormalCpu<float>(n, kSeed, kOffset + 1, x.data());
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    std::vector<float> out(3 * rows + n);
    BceWithLogitsForwardCpu<float>(rows, cols, x.data(), t.data(), out.data());
    MseForwardCpu<float>(rows, cols, x.data(), t.data(), out.data() + rows);
    RowSumCpu<float>(rows, cols, x.data(), out.data() + 2 * rows);
    BernoulliCpu<float>(n, kSeed, kOffset, t.data(), out.data() + 3 * rows);
    return out;
  };
  const int default_threads = omp_get_max_threads();
  const std::vector<float> one = run(1), three = run(3);
  omp_set_num_threads(default_threads);
  EXPECT_EQ(one, three);
}

}  // namespace
}  // namespace latent::kernels

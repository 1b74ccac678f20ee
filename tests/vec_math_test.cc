// The vectorizable exp and log1p of the CPU's f32 kernels (kernels/cpu/vec_math.h), and the
// sigmoid, softplus and BCE kernels built on them, against long double over the whole float range:
// about a million floats spread evenly over every sign and binade (every 4099th bit pattern), plus
// zeros, infinities, NaN, the extremes and the saturation points. The claim under test: every
// result is within 0.5 ulp of the exact value, up to the double evaluation's 1e-12 relative error
// (1.7e-5 ulp). Each test also prints how far glibc's scalar float functions, which the kernels
// called before, are from the same reference and from the new results.
#include "kernels/cpu/vec_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/loss.h"

namespace latent::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kMax = std::numeric_limits<float>::max();
// 0.5 ulp, plus the 1e-12 relative error of the double evaluation (at most 1.7e-5 ulp), plus the
// long double reference's own error: the largest error a result correctly rounded from a value
// within 1e-12 of the truth can have.
constexpr double kBoundUlps = 0.5 + 1e-4;

float FloatOf(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// Every 4099th float bit pattern (4099 is prime, so the low bits vary too), and the special values.
std::vector<float> WholeFloatRange() {
  std::vector<float> xs;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 4099) xs.push_back(FloatOf(uint32_t(bits)));
  const float denorm_min = std::numeric_limits<float>::denorm_min();
  const float norm_min = std::numeric_limits<float>::min();
  const float eps = std::numeric_limits<float>::epsilon();
  for (float s : {1.0f, -1.0f}) {
    // 17: the sigmoid rounds to 1; 88.72: e^x overflows; 103.97: e^-x underflows to 0; 87.34:
    // e^-x becomes subnormal.
    for (float v :
         {0.0f,   denorm_min, norm_min, eps,    0.5f,    1.0f,    2.0f,   16.6f, 17.0f, 17.33f,
          87.33f, 87.34f,     88.72f,   88.73f, 103.97f, 103.98f, 104.0f, 1e4f,  kMax,  kInf})
      for (float w : {std::nextafter(v, 0.0f), v, std::nextafter(v, kInf)}) xs.push_back(s * w);
  }
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  return xs;
}

// The size of one ulp of float at the exact value r: that of r's binade, or of the subnormals.
long double UlpAt(long double r) {
  const long double a = std::fabs(r);
  if (a < std::numeric_limits<float>::min()) return std::numeric_limits<float>::denorm_min();
  return std::ldexp(1.0L, std::ilogb(a) - 23);
}

// How many ulps y is from the exact value r; 0 when both are the same infinity or both NaN, and
// infinity when only one of them is, or y is infinite where r rounds to a finite float.
double UlpsFrom(float y, long double r) {
  if (std::isnan(r) || std::isnan(y)) return std::isnan(r) && std::isnan(y) ? 0 : INFINITY;
  const float rounded = static_cast<float>(r);  // correctly rounded from long double
  if (std::isinf(rounded) || std::isinf(y)) return rounded == y ? 0 : INFINITY;
  return static_cast<double>(std::fabs(static_cast<long double>(y) - r) / UlpAt(r));
}

struct Errors {
  double max_ulps = 0;
  float worst_x = 0;
  int64_t not_correctly_rounded = 0;
};

// The errors of ys against exact(x) over xs.
Errors Measure(const std::vector<float>& xs, const std::vector<float>& ys,
               const std::function<long double(long double)>& exact) {
  Errors e;
  for (size_t i = 0; i < xs.size(); ++i) {
    const long double r = exact(xs[i]);
    const double ulps = UlpsFrom(ys[i], r);
    if (!(ulps <= e.max_ulps)) {
      e.max_ulps = ulps;
      e.worst_x = xs[i];
    }
    const float rounded = static_cast<float>(r);
    if (std::memcmp(&rounded, &ys[i], sizeof rounded) != 0 && !(std::isnan(r) && std::isnan(ys[i])))
      ++e.not_correctly_rounded;
  }
  return e;
}

// Checks `fast` (the new function, over all of xs) against `exact`, and prints how glibc's scalar
// `libm` compares.
void CheckAgainstLongDouble(const char* name, const std::vector<float>& xs,
                            const std::vector<float>& fast, const std::function<float(float)>& libm,
                            const std::function<long double(long double)>& exact) {
  const Errors e = Measure(xs, fast, exact);
  EXPECT_LE(e.max_ulps, kBoundUlps) << name << " at x = " << e.worst_x;
  std::vector<float> scalar(xs.size());
  double max_diff = 0;
  int64_t differ = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    scalar[i] = libm(xs[i]);
    if (std::memcmp(&scalar[i], &fast[i], sizeof(float)) == 0) continue;
    if (std::isnan(scalar[i]) && std::isnan(fast[i])) continue;  // NaN payloads may differ
    ++differ;
    const double d = UlpsFrom(fast[i], scalar[i]);
    if (!(d <= max_diff)) max_diff = d;
  }
  const Errors s = Measure(xs, scalar, exact);
  std::printf(
      "%-14s %zu floats: max error %.4f ulp, %lld not correctly rounded; glibc's scalar %.4f ulp, "
      "%lld not correctly rounded; %lld results differ from glibc's, by at most %.3f ulp\n",
      name, xs.size(), e.max_ulps, static_cast<long long>(e.not_correctly_rounded), s.max_ulps,
      static_cast<long long>(s.not_correctly_rounded), static_cast<long long>(differ), max_diff);
}

std::vector<float> Apply(const std::vector<float>& xs, float (*f)(float)) {
  std::vector<float> ys(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) ys[i] = f(xs[i]);
  return ys;
}

long double ExactSigmoid(long double x) { return 1.0L / (1.0L + std::exp(-x)); }
long double ExactSoftplusTail(long double x) { return std::log1p(std::exp(-std::fabs(x))); }
long double ExactSoftplus(long double x) { return (x > 0 ? x : 0.0L) + ExactSoftplusTail(x); }

TEST(VecMath, ExpIsWithinHalfAnUlpOverTheWholeFloatRange) {
  const std::vector<float> xs = WholeFloatRange();
  CheckAgainstLongDouble(
      "exp", xs, Apply(xs, vec::ExpF), [](float x) { return std::exp(x); },
      [](long double x) { return std::exp(x); });
  EXPECT_EQ(vec::ExpF(-kInf), 0.0f);
  EXPECT_EQ(vec::ExpF(kInf), kInf);
  EXPECT_EQ(vec::ExpF(0.0f), 1.0f);
}

TEST(VecMath, Log1pIsWithinHalfAnUlpOverTheWholeFloatRange) {
  const std::vector<float> xs = WholeFloatRange();  // NaN below -1, as log1pl gives
  CheckAgainstLongDouble(
      "log1p", xs, Apply(xs, vec::Log1pF), [](float x) { return std::log1p(x); },
      [](long double x) { return std::log1p(x); });
  EXPECT_EQ(vec::Log1pF(-1.0f), -kInf);
  EXPECT_EQ(vec::Log1pF(kInf), kInf);
  EXPECT_TRUE(std::isnan(vec::Log1pF(-2.0f)));
  EXPECT_TRUE(std::isnan(vec::Log1pF(-kInf)));
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(vec::Log1pF(tiny), tiny);  // log1p(t) = t to the last bit for tiny t
}

// The kernels, run over the same floats: the vectorized loops, their scalar tails and the GEMM's
// fused sigmoid all give results within the bound.
TEST(VecMath, SigmoidAndSoftplusKernelsAreWithinHalfAnUlp) {
  const std::vector<float> xs = WholeFloatRange();
  const int64_t n = static_cast<int64_t>(xs.size());
  std::vector<float> y(xs.size());
  UnaryForwardCpu<float>(Activation::kSigmoid, n, 0.0f, xs.data(), y.data());
  CheckAgainstLongDouble("sigmoid", xs, y, SigmoidOf<float>, ExactSigmoid);
  UnaryForwardCpu<float>(Activation::kSoftplus, n, 0.0f, xs.data(), y.data());
  // softplus = max(x, 0) + tail, the addition in float: its own rounding adds 0.5 ulp where x > 0.
  const Errors e = Measure(xs, y, ExactSoftplus);
  EXPECT_LE(e.max_ulps, 1.0 + 1e-4) << "softplus at x = " << e.worst_x;
  CheckAgainstLongDouble("softplus tail", xs, Apply(xs, vec::SoftplusTail), SoftplusTailOf<float>,
                         ExactSoftplusTail);
  // softplus' = sigmoid, times dy = 1.
  const std::vector<float> ones(xs.size(), 1.0f);
  UnaryBackwardCpu<float>(Activation::kSoftplus, n, 0.0f, xs.data(), y.data(), ones.data(),
                          y.data());
  const Errors g = Measure(xs, y, ExactSigmoid);
  EXPECT_LE(g.max_ulps, kBoundUlps) << "softplus' at x = " << g.worst_x;
}

// BCE with logits, per row: the forward sums each row's terms in double, so a row's loss is within
// 0.5 ulp of the exact sum (all terms are >= 0: no cancellation), saturated logits included. The
// backward's s(x) - t is rounded in float once more.
TEST(VecMath, BceWithLogitsKernelsMatchLongDouble) {
  std::vector<float> xs;
  for (float x : WholeFloatRange())
    if (std::isfinite(x)) xs.push_back(x);
  const int64_t cols = 781;  // odd: every row has a scalar tail after its vector body
  const int64_t rows = static_cast<int64_t>(xs.size()) / cols;
  xs.resize(static_cast<size_t>(rows * cols));
  std::vector<float> t(xs.size());
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  std::vector<float> out(static_cast<size_t>(rows));
  BceWithLogitsForwardCpu<float>(rows, cols, xs.data(), t.data(), out.data());
  double max_ulps = 0;
  for (int64_t r = 0; r < rows; ++r) {
    long double exact = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const long double x = xs[r * cols + c], target = t[r * cols + c];
      exact += (x > 0 ? x : 0.0L) - x * target + ExactSoftplusTail(x);
    }
    max_ulps = std::max(max_ulps, UlpsFrom(out[r], exact));
  }
  EXPECT_LE(max_ulps, kBoundUlps);
  std::vector<float> dout(static_cast<size_t>(rows), 1.0f), dx(xs.size()), dt(xs.size());
  BceWithLogitsBackwardCpu<float>(rows, cols, xs.data(), t.data(), dout.data(), dx.data(),
                                  dt.data());
  for (size_t i = 0; i < xs.size(); ++i) {
    // s(x) within kBoundUlps of the exact S, then s - t rounded once: |dx - (S - t)| is at most
    // kBoundUlps ulp of S plus half an ulp of the difference.
    const long double exact_s = ExactSigmoid(xs[i]), exact = exact_s - t[i];
    const long double bound = kBoundUlps * UlpAt(exact_s) + 0.5L * UlpAt(exact);
    ASSERT_LE(std::fabs(dx[i] - exact), bound) << "x = " << xs[i] << ", t = " << t[i];
    ASSERT_EQ(dt[i], -xs[i]);
  }
  // Saturated logits: the loss grows like |x| and the gradient is exactly s - t in {0, 1} - t.
  const float big[] = {-kMax, -1e4f, -104.0f, 104.0f, 1e4f, kMax};
  const float targets[] = {0.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f};
  float loss[6], grad[6], one[6] = {1, 1, 1, 1, 1, 1};
  for (int i = 0; i < 6; ++i) {
    BceWithLogitsForwardCpu<float>(1, 1, &big[i], &targets[i], &loss[i]);
    BceWithLogitsBackwardCpu<float>(1, 1, &big[i], &targets[i], &one[i], &grad[i], nullptr);
  }
  EXPECT_EQ(loss[0], 0.0f);  // x = -max, t = 0: log(1 + e^-max) = 0 exactly in float
  EXPECT_EQ(loss[1], 1e4f);  // x = -1e4, t = 1: -x
  EXPECT_EQ(grad[0], 0.0f);
  EXPECT_EQ(grad[1], -1.0f);
  EXPECT_EQ(loss[4], 1e4f);  // x = 1e4, t = 0
  EXPECT_EQ(grad[4], 1.0f);
  EXPECT_EQ(grad[5], 0.0f);
  EXPECT_EQ(loss[5], 0.0f);
}

}  // namespace
}  // namespace latent::kernels

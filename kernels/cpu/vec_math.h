// exp and log1p for the CPU's f32 kernels, written so that the compiler vectorizes the loops that
// call them, and the sigmoid, softplus and BCE terms built on them.
//
// Why: glibc's expf and log1pf are function calls, one element per call, and they took about a
// quarter of a VAE training step (docs/performance.md). The functions here are plain branch-free
// arithmetic: every lane does the same operations, selects stand in for branches, and a loop of
// them compiles to AVX-512 or AVX2 code according to the compiler's target (-march).
//
// Accuracy: a float argument is widened to double, the function is evaluated there with a relative
// error below 1e-12, and the result is rounded to float once. So each result is within
// 0.5 ulp (+ 1e-12 relative) of the exact value: correctly rounded unless the exact value lies
// within 1e-12 of a midpoint between two floats. tests/vec_math_test.cc measures this over the
// whole float range against long double, and the difference from glibc's scalar functions.
//
// The f64 kernels, the gradient checks' reference, keep libm. The CUDA kernels keep nvcc's expf and
// log1pf.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/elementwise.h"

namespace latent::kernels::vec {

inline uint64_t BitsOf(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}
inline double DoubleOf(uint64_t bits) {
  double x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// e^x for a double x, relative error below 1e-12 (0 below -708, where e^x is far below the
// smallest float).
inline double Exp(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  // ln 2 in two parts: kLn2Hi has 32 significant bits, so n * kLn2Hi is exact for |n| < 2^21 and
  // x - n ln 2 keeps its digits (Cody and Waite).
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  // Adding 1.5 * 2^52 rounds a double of magnitude < 2^51 to an integer, held in the low bits of
  // the sum's significand: round(x / ln 2) without a float-to-integer conversion, which AVX2 lacks
  // for 64-bit lanes.
  constexpr double kShift = 0x1.8p52;
  // e^x is a normal double for x in [-708, 709]: clamping keeps the arithmetic finite, and the
  // selects at the end give 0 or infinity outside.
  constexpr double kMin = -708.0, kMax = 709.0;
  const double xc = x < kMin ? kMin : (x > kMax ? kMax : x);
  const double shifted = xc * kLog2e + kShift;
  const double n = shifted - kShift;
  const double r = (xc - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln 2 / 2
  // e^r by its Taylor series to r^10 / 10!: the remainder is below 0.347^11 / 11! = 2.2e-13.
  double p = 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^n written straight into the exponent field: n is in [-1021, 1023]. Unsigned arithmetic, so
  // that the garbage a NaN gives here is defined behaviour; the NaN itself passes through p.
  const uint64_t k = BitsOf(shifted) - BitsOf(kShift);
  const double scale = DoubleOf((k + 1023) << 52);
  const double y = p * scale;
  return x < kMin ? 0.0 : (x > kMax ? std::numeric_limits<double>::infinity() : y);
}

// log(1 + t) for a double t >= -1, relative error below 1e-12; NaN below -1.
inline double Log1p(double t) {
  // u = 1 + t = 2^k m with m in [sqrt(1/2), sqrt(2)): subtracting sqrt(1/2)'s bit pattern from u's
  // and adding 1's moves the exponent boundary from 1 to sqrt(1/2) (as musl's log does).
  constexpr uint64_t kSqrtHalf = 0x3fe6a09e667f3bcdull;
  constexpr uint64_t kOne = 0x3ff0000000000000ull;
  constexpr uint64_t kMantissa = 0x000fffffffffffffull;
  const double u = 1.0 + t;
  const uint64_t shifted = BitsOf(u) + (kOne - kSqrtHalf);
  const double k = static_cast<double>(static_cast<int64_t>(shifted >> 52) - 1023);
  const double f = DoubleOf((shifted & kMantissa) + kSqrtHalf) - 1.0;  // m - 1, exact
  // u = 1 + t is rounded; c / u puts back what the rounding lost (log(1 + t) - log(u) to first
  // order). The lost part is computed exactly by whichever form subtracts without rounding, as in
  // musl's log1p. Both forms are computed and one selected: an operation under a condition is not
  // vectorized, since it might raise a floating-point exception that the scalar code would not.
  const double lost_large = 1.0 - (u - t);  // for k >= 2
  const double lost_small = t - (u - 1.0);  // for k < 2
  const double c = (k >= 2 ? lost_large : lost_small) / u;
  // log(1 + f) = 2 atanh(s), s = f / (2 + f), |s| <= 0.1716: the series 2 s (1 + s^2/3 + ... +
  // s^14/15) leaves out s^16/17 < 3.4e-14 relative.
  const double s = f / (2.0 + f);
  const double z = s * s;
  double q = 1.0 / 15;
  q = q * z + 1.0 / 13;
  q = q * z + 1.0 / 11;
  q = q * z + 1.0 / 9;
  q = q * z + 1.0 / 7;
  q = q * z + 1.0 / 5;
  q = q * z + 1.0 / 3;
  q = q * z + 1.0;
  constexpr double kLn2 = 0.69314718055994530942;
  const double y = k * kLn2 + (2.0 * s * q + c);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // t = -1 and t = infinity would go through u = 0 and u = infinity; NaN in and t < -1 give NaN.
  return t > -1.0 ? (t == kInf ? kInf : y) : (t == -1.0 ? -kInf : kNaN);
}

// exp and log1p alone for a float, evaluated in double and rounded once: what
// tests/vec_math_test.cc measures over the float range. The kernels call the functions below.
inline float ExpF(float x) { return static_cast<float>(Exp(x)); }
inline float Log1pF(float x) { return static_cast<float>(Log1p(x)); }
// 1 / (1 + e^-x), the formula of kernels/elementwise.h.
inline float Sigmoid(float x) {
  const double xd = x;
  return static_cast<float>(SigmoidFromExp(xd, Exp(-std::fabs(xd))));
}
// log(1 + e^-|x|), the transcendental part of softplus and BCE with logits; in double for the BCE
// forward, whose terms are summed in double.
inline double SoftplusTailD(double x) { return Log1p(Exp(-std::fabs(x))); }
inline float SoftplusTail(float x) { return static_cast<float>(SoftplusTailD(x)); }

// Activate and ActivationGrad (kernels/elementwise.h) as the CPU computes them: in f32 the
// sigmoid and softplus take the functions above, every other case and f64 the shared formula.
// `act` is a std::integral_constant, so the choice is made at compile time.
template <typename T, typename Act>
T ActivateCpu(Act act, T x, T alpha) {
  if constexpr (std::is_same_v<T, float> && act == Activation::kSigmoid) return Sigmoid(x);
  if constexpr (std::is_same_v<T, float> && act == Activation::kSoftplus)
    return SoftplusFromTail(x, SoftplusTail(x));
  return Activate<T>(act, x, alpha);
}
template <typename T, typename Act>
T ActivationGradCpu(Act act, T x, T y, T dy, T alpha) {
  if constexpr (std::is_same_v<T, float> && act == Activation::kSoftplus) return dy * Sigmoid(x);
  return ActivationGrad<T>(act, x, y, dy, alpha);
}

}  // namespace latent::kernels::vec

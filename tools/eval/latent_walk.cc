#include "tools/eval/latent_walk.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.h"

namespace latent {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Below this angle (or this far from pi) slerp's 1 / sin(theta) only amplifies rounding: the
// linear formula differs from slerp by O(theta^2) relative, about 1e-12 here.
constexpr double kMinAngle = 1e-6;

std::vector<double> CodeValues(const Tensor& t, const char* what) {
  LATENT_CHECK(t.defined() && (t.ndim() == 1 || (t.ndim() == 2 && t.size(0) == 1)),
               "interpolation: expected code ", what, " of shape (D) or (1, D), found ",
               t.defined() ? t.shape().ToString() : std::string("none"));
  return t.To(Device::Cpu()).ToDType(DType::kF64).ToVector<double>();
}

double Norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

// (rows, cols) values, row-major, as a tensor of `dtype` on `device`.
Tensor FromDoubles(const std::vector<double>& v, int64_t rows, int64_t cols, DType dtype,
                   Device device) {
  Tensor t = Tensor::FromVector<double>(v, {rows, cols});
  if (dtype != DType::kF64) t = t.ToDType(dtype);
  return device.is_cpu() ? t : t.To(device);
}

// Phi(x) = P(X <= x), X ~ N(0, 1), through erfc: accurate to a few ulps relative even far in
// the lower tail, where 1 + erf(x / sqrt 2) would cancel to nothing.
double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

Tensor InterpolateCodes(const Tensor& a, const Tensor& b, int64_t steps, bool spherical) {
  LATENT_CHECK(steps >= 2, "interpolation needs steps >= 2 (both endpoints); found ", steps);
  LATENT_CHECK(a.defined() && b.defined() && a.dtype() == b.dtype() && a.device() == b.device(),
               "interpolation: the two codes must share a dtype and a device");
  const std::vector<double> va = CodeValues(a, "a"), vb = CodeValues(b, "b");
  const int64_t D = static_cast<int64_t>(va.size());
  LATENT_CHECK(vb.size() == va.size(), "interpolation: codes of ", D, " and ", vb.size(),
               " values; they must have the same size");

  // theta from the unit vectors as 2 atan2(|a^ - b^|, |a^ + b^|): exact to rounding at every
  // angle, where acos of the cosine loses half the digits near 0 and pi.
  bool linear = !spherical;
  double theta = 0;
  if (spherical) {
    const double na = Norm(va), nb = Norm(vb);
    if (na == 0 || nb == 0) {
      linear = true;  // no direction to turn from or to: the great circle is undefined
    } else {
      std::vector<double> diff(D), sum(D);
      for (int64_t d = 0; d < D; ++d) {
        diff[d] = va[d] / na - vb[d] / nb;
        sum[d] = va[d] / na + vb[d] / nb;
      }
      theta = 2.0 * std::atan2(Norm(diff), Norm(sum));
      LATENT_CHECK(kPi - theta >= kMinAngle, "slerp between opposite codes (angle ", theta,
                   "): every great circle joins them; pick another endpoint or interpolate "
                   "linearly");
      linear = theta < kMinAngle;
    }
  }

  std::vector<double> out(static_cast<size_t>(steps * D));  // (steps, D)
  for (int64_t s = 0; s < steps; ++s) {
    const double t = static_cast<double>(s) / static_cast<double>(steps - 1);
    const double wa = linear ? 1.0 - t : std::sin((1.0 - t) * theta) / std::sin(theta);
    const double wb = linear ? t : std::sin(t * theta) / std::sin(theta);
    for (int64_t d = 0; d < D; ++d) out[s * D + d] = wa * va[d] + wb * vb[d];
  }
  // sin(theta) / sin(theta) need not round to 1: the endpoints are set, not computed.
  std::copy(va.begin(), va.end(), out.begin());
  std::copy(vb.begin(), vb.end(), out.end() - D);
  return FromDoubles(out, steps, D, a.dtype(), a.device());
}

double NormalQuantile(double p) {
  LATENT_CHECK(p > 0.0 && p < 1.0, "normal quantile: expected p in (0, 1), found ", p);
  if (p == 0.5) return 0.0;
  // Solve Phi(x) = q in the lower tail, q = min(p, 1 - p) (1 - p is exact for p >= 1/2), and
  // mirror: Phi^-1(1 - q) = -Phi^-1(q).
  const bool upper = p > 0.5;
  const double q = upper ? 1.0 - p : p;
  // Start: the rational approximation of Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), in
  // t = sqrt(-2 log q), which follows the tail's growth x ~ -sqrt(-2 log q).
  const double t = std::sqrt(-2.0 * std::log(q));
  double x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
                       (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  // Halley's method on f(x) = Phi(x) - q: f' = phi(x), f'' = -x phi(x), so with r = f / f' the
  // step is r / (1 + x r / 2). It converges cubically: 4.5e-4 -> ~1e-10 -> rounding. r's error is
  // about eps q / phi(x) ~ eps / |x| (Mills' ratio), so the answer is good to a few ulps even in
  // the far tail; phi(x) stays a normal number down to q ~ 1e-308.
  constexpr double kInvSqrt2Pi = 0.39894228040143267794;
  for (int iteration = 0; iteration < 4; ++iteration) {
    const double phi = kInvSqrt2Pi * std::exp(-0.5 * x * x);
    // f through erf near the centre: there Phi(x) ~ 1/2, and erfc's absolute error of an ulp of 1
    // would be all of a tiny x; q - 1/2 is exact for q >= 1/4.
    const double f = q > 0.25 ? 0.5 * std::erf(x / std::sqrt(2.0)) - (q - 0.5) : NormalCdf(x) - q;
    const double r = f / phi;
    const double step = r / (1.0 + 0.5 * x * r);
    x -= step;
    if (std::abs(step) <= 1e-16 * std::abs(x)) break;
  }
  return upper ? -x : x;
}

Tensor ManifoldGridCodes(int64_t n, DType dtype, Device device) {
  LATENT_CHECK(n >= 1, "a manifold grid needs n >= 1 cells per side; found ", n);
  // Coordinate i of n: Phi^-1((i + 0.5) / n), computed on the upper half and mirrored, so that
  // coordinate n - 1 - i is exactly its negative (and the middle one of odd n exactly 0).
  std::vector<double> axis(static_cast<size_t>(n));
  for (int64_t i = n / 2; i < n; ++i) {
    if (2 * i + 1 == n) continue;  // the middle cell of odd n: u = 1/2, z = 0 (as initialized)
    axis[i] = NormalQuantile((static_cast<double>(i) + 0.5) / static_cast<double>(n));
    axis[n - 1 - i] = -axis[i];
  }
  std::vector<double> codes(static_cast<size_t>(2 * n * n));  // (n * n, 2)
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      codes[2 * (r * n + c)] = axis[c];              // z1: left to right
      codes[2 * (r * n + c) + 1] = axis[n - 1 - r];  // z2: bottom to top (row 0 at the top)
    }
  }
  return FromDoubles(codes, n * n, 2, dtype, device);
}

}  // namespace latent

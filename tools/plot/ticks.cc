// The tick rules of tools/plot/ticks.h. Their comparisons carry a small relative slack: ranges and
// steps come out of floating-point arithmetic, and 0.30000000000000004 must still count as 0.3.
#include "tools/plot/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>

#include "kernels/error.h"

namespace latent {

std::vector<double> NiceTicks(double lo, double hi, int intervals) {
  LATENT_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && intervals >= 1,
               "ticks: expected finite lo < hi and intervals >= 1, found lo=", lo, " hi=", hi,
               " intervals=", intervals);
  const double raw = (hi - lo) / intervals;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  // The slack absorbs rounding: [0.1, 0.4] in 3 intervals asks for steps of
  // 0.30000000000000004 / 3 = 0.10000000000000002, which must stay 0.1, not become 0.2; and
  // 0.3 / 0.1 = 2.9999999999999996 must still count 0.3 as a tick.
  constexpr double kSlack = 1e-9;
  double multiple = 10.0;
  for (double m : {1.0, 2.0, 5.0}) {
    if (normalized <= m * (1.0 + kSlack)) {
      multiple = m;
      break;
    }
  }
  const double step = multiple * magnitude;
  const double first = std::ceil(lo / step - kSlack);
  const double last = std::floor(hi / step + kSlack);
  std::vector<double> ticks;
  // k * step rather than a running sum, so errors do not accumulate along the axis.
  for (double k = first; k <= last; k += 1.0) ticks.push_back(k == 0.0 ? 0.0 : k * step);
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi) {
  LATENT_CHECK(std::isfinite(lo) && std::isfinite(hi) && 0.0 < lo && lo < hi,
               "log ticks: expected finite 0 < lo < hi, found lo=", lo, " hi=", hi);
  constexpr double kSlack = 1e-9;
  const int first = static_cast<int>(std::floor(std::log10(lo)));
  const int last = static_cast<int>(std::ceil(std::log10(hi)));
  auto collect = [&](std::initializer_list<double> multiples, int every) {
    std::vector<double> ticks;
    for (int k = first; k <= last; ++k) {
      if ((k - first) % every != 0) continue;
      for (double m : multiples) {
        const double v = m * std::pow(10.0, k);
        if (v >= lo * (1 - kSlack) && v <= hi * (1 + kSlack)) ticks.push_back(v);
      }
    }
    return ticks;
  };
  // Every decade up to 8 of them; beyond that every second or third one, to keep labels apart.
  const int every = std::max(1, (last - first + 7) / 8);
  std::vector<double> ticks = collect({1.0}, every);
  if (ticks.size() < 2) ticks = collect({1.0, 2.0, 5.0}, 1);
  if (ticks.size() < 2) ticks = NiceTicks(lo, hi, 4);
  return ticks;
}

std::string FormatTick(double value, double step) {
  char buffer[64];
  if (!std::isfinite(value) || !(step > 0.0) || !std::isfinite(step)) {
    std::snprintf(buffer, sizeof(buffer), "%g", value);
    return buffer;
  }
  // A tick at k * step can come out as 1e-17 instead of 0; it must read "0", never "-0.0".
  if (std::fabs(value) < step * 1e-6) value = 0.0;
  // The slack keeps log10(1000) = 2.9999999999999996 from reading as 2.
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  const double magnitude = std::max(std::fabs(value), step);
  const int value_exp = static_cast<int>(std::floor(std::log10(magnitude) + 1e-9));
  if (value_exp < 6 && step_exp > -5) {
    std::snprintf(buffer, sizeof(buffer), "%.*f", std::max(0, -step_exp), value);
    return buffer;
  }
  if (value == 0.0) return "0";
  const int digits = std::clamp(value_exp - step_exp + 1, 1, 15);
  std::snprintf(buffer, sizeof(buffer), "%.*e", digits - 1, value);
  // "2.5e-05" -> "2.5e-5", "1.5e+07" -> "1.5e7": C's exponent padding only costs width.
  std::string text = buffer;
  const size_t e = text.find('e');
  std::string mantissa = text.substr(0, e);
  const int exponent = std::stoi(text.substr(e + 1));
  return mantissa + "e" + std::to_string(exponent);
}

}  // namespace latent

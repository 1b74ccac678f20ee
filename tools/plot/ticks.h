// Where a chart's axis puts its ticks and how it labels them: linear ticks at the multiples of
// 1, 2 or 5 x 10^k, logarithmic ticks at powers of ten, and labels with as many decimals as the
// spacing needs. Pure functions of numbers, kept apart from the drawing in tools/plot/plot.h so that
// the rules read (and are tested) on their own.
#pragma once

#include <string>
#include <vector>

namespace latent {

// Tick values at the multiples of step = 1, 2 or 5 x 10^k that lie in [lo, hi], with the
// smallest such step that makes at most `intervals` intervals of the range:
// NiceTicks(0, 1, 5) = 0, 0.2, ..., 1; NiceTicks(103.2, 127.9, 5) = 105, 110, ..., 125.
// Throws latent::Error unless lo < hi are finite and intervals >= 1.
std::vector<double> NiceTicks(double lo, double hi, int intervals = 5);
// Ticks for a logarithmic axis over [lo, hi], 0 < lo < hi: the powers of ten inside it, or
// 1, 2, 5 x 10^k when fewer than two powers of ten fit.
std::vector<double> LogTicks(double lo, double hi);
// A tick label: `value` with as many decimals as `step` (the distance between ticks) needs,
// "0.2", "105", "0.001"; scientific ("2.5e-5", "1.5e7") below 1e-4 steps or from 1e6 up.
std::string FormatTick(double value, double step);

}  // namespace latent

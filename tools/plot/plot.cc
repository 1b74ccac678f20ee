#include "tools/plot/plot.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "kernels/error.h"
#include "tools/plot/font.h"

namespace latent {

namespace {

constexpr Rgb kInk{25, 25, 25};          // text and tick marks
constexpr Rgb kFrame{70, 70, 70};        // the border of the plot area
constexpr Rgb kGrid{228, 228, 228};      // grid lines at the ticks, faint so data stays on top
constexpr Rgb kDiagonal{150, 150, 150};  // the ROC chance line
constexpr Rgb kLegendBorder{170, 170, 170};
constexpr int kTextScale = 2;   // image pixels per font pixel, for labels, ticks and legend
constexpr int kTitleScale = 3;  // the same for the title

// One axis: its range in plot coordinates (log10 of the value on a log axis) and its ticks.
struct Axis {
  double lo = 0.0;
  double hi = 1.0;
  bool log = false;
  std::vector<double> ticks;  // values, not their logarithms

  double Map(double v) const { return log ? std::log10(v) : v; }
  bool Drawable(double v) const { return std::isfinite(v) && (!log || v > 0.0); }
  // How far to widen a range of one value v: a tenth of it, a whole unit around 0, a decade
  // on a log axis.
  double Spread(double v) const { return log ? 1.0 : (v == 0.0 ? 1.0 : 0.1 * std::fabs(v)); }

  void SetTicks(int intervals) {
    ticks = log ? LogTicks(std::pow(10.0, lo), std::pow(10.0, hi)) : NiceTicks(lo, hi, intervals);
  }
  std::string Label(double v) const {
    if (log) return FormatTick(v, std::pow(10.0, std::floor(std::log10(v) + 1e-9)));
    return FormatTick(v, ticks.size() >= 2 ? ticks[1] - ticks[0] : hi - lo);
  }
};

// The range of an axis: the drawable values plus a 4% margin (so no point sits on the frame),
// with the caller's fixed ends taking precedence. `name` is "x" or "y", for messages.
Axis MakeAxis(const std::vector<double>& values, std::optional<double> fixed_lo,
              std::optional<double> fixed_hi, bool log, const char* name) {
  Axis axis;
  axis.log = log;
  for (const auto& [end, bound] : {std::pair{"_min", fixed_lo}, std::pair{"_max", fixed_hi}}) {
    LATENT_CHECK(!bound || axis.Drawable(*bound), "chart: expected a finite ", name, end,
                 log ? " > 0 on a log axis" : "", ", found ", *bound);
  }
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (double v : values) {
    if (!axis.Drawable(v)) continue;
    lo = std::min(lo, axis.Map(v));
    hi = std::max(hi, axis.Map(v));
  }
  if (lo > hi) {  // nothing drawable: an empty unit range, so axes and legend still show
    lo = 0.0;
    hi = 1.0;
  } else if (lo == hi) {  // one value: centre it rather than divide by a zero span
    const double spread = axis.Spread(lo);
    lo -= spread;
    hi += spread;
  } else {
    const double margin = 0.04 * (hi - lo);
    lo -= margin;
    hi += margin;
  }
  if (fixed_lo) lo = axis.Map(*fixed_lo);
  if (fixed_hi) hi = axis.Map(*fixed_hi);
  LATENT_CHECK(!(fixed_lo && fixed_hi) || lo < hi, "chart: expected ", name, "_min < ", name,
               "_max, found ", name, "_min=", fixed_lo.value_or(0), " and ", name,
               "_max=", fixed_hi.value_or(0));
  // One fixed end beyond all the data: the free end moves to the other side of it.
  if (lo >= hi && fixed_lo) hi = lo + axis.Spread(lo);
  if (lo >= hi && fixed_hi) lo = hi - axis.Spread(hi);
  axis.lo = lo;
  axis.hi = hi;
  return axis;
}

// Where data lands in the image: the plot area (border pixels included) and the axes.
struct Frame {
  int left, top, right, bottom;
  Axis x, y;

  double Px(double v) const { return left + (x.Map(v) - x.lo) / (x.hi - x.lo) * (right - left); }
  double Py(double v) const { return bottom - (y.Map(v) - y.lo) / (y.hi - y.lo) * (bottom - top); }
  bool Inside(double px, double py) const {
    return px >= left && px <= right && py >= top && py <= bottom;
  }
};

struct LegendEntry {
  std::string name;
  Rgb color;
  bool line;  // a line sample (line charts) or a dot (scatters)
};

// Everything a chart needs except the layout, which Render works out.
struct Chart {
  std::string title, x_label, y_label;
  Axis x, y;
  std::vector<LegendEntry> legend;
  ChartOptions options;
  std::function<void(Canvas&, const Frame&)> draw_data;
};

int Round(double v) { return static_cast<int>(std::lround(v)); }

// Pixels in the rectangle that the data (or the diagonal) has drawn on.
int64_t InkIn(const Canvas& canvas, int x, int y, int w, int h) {
  int64_t ink = 0;
  for (int py = std::max(y, 0); py < std::min(y + h, canvas.height()); ++py) {
    for (int px = std::max(x, 0); px < std::min(x + w, canvas.width()); ++px) {
      const Rgb c = canvas.Pixel(px, py);
      if (c != kWhite && c != kGrid) ++ink;
    }
  }
  return ink;
}

// Lays the chart out and draws it. The legend first tries the corners of the plot area; when
// all of them have data under them, the chart is laid out again with the legend to the right.
Canvas Render(const Chart& chart) {
  const ChartOptions& o = chart.options;
  // u: the unit of spacing; everything grows with the image, so a 1280 x 960 chart reads like a
  // 640 x 480 one. Text is drawn at twice the font's pixels: a 14-pixel digit reads at a glance
  // at 640 x 480 where the bare 7 pixels need a squint.
  const int u = std::max(1, std::min(o.width / 640, o.height / 480));
  const int ts = kTextScale * u;
  const int pad = 10 * u;
  const int tick = 5 * u;                   // tick mark length
  const int gap = 4 * u;                    // between a tick mark and its label
  const int cap = (kGlyphHeight - 2) * ts;  // height of digits and capitals (no descenders)
  const int line_h = Canvas::TextHeight(ts);
  int title_scale = kTitleScale * u;
  // A long title at the large size would crowd the top edge to edge; it drops to the label size.
  if (Canvas::TextWidth(chart.title, title_scale) > o.width * 3 / 4) title_scale = ts;

  // Legend box size.
  const int inner = 6 * u;  // the legend's padding
  const int swatch = 24 * u;
  const int row_h = line_h + 3 * u;
  int name_w = 0;
  for (const LegendEntry& e : chart.legend)
    name_w = std::max(name_w, Canvas::TextWidth(e.name, ts));
  const int legend_w = inner + swatch + inner + name_w + inner;
  const int legend_h = 2 * inner + static_cast<int>(chart.legend.size()) * row_h - 3 * u;

  for (bool outside : {false, true}) {
    Frame f{0, 0, 0, 0, chart.x, chart.y};
    f.top = pad + Canvas::TextHeight(title_scale) + 8 * u;
    f.bottom = o.height - 1 - (pad + line_h + 6 * u + line_h + gap + tick);
    // Labels at least three text lines apart.
    f.y.SetTicks(std::max(2, (f.bottom - f.top) / (3 * line_h)));
    int y_label_w = 0;
    for (double v : f.y.ticks) y_label_w = std::max(y_label_w, Canvas::TextWidth(f.y.Label(v), ts));
    f.left = pad + line_h + 12 * u + y_label_w + gap + tick;
    f.right = o.width - 1 - pad - (outside ? legend_w + 10 * u : 0);
    LATENT_CHECK(f.right - f.left >= 40 && f.bottom - f.top >= 40, "chart: expected room for a ",
                 "plot area in ", o.width, " x ", o.height, " pixels, found ", f.right - f.left,
                 " x ", f.bottom - f.top, " left by the labels and legend");
    // As many x ticks as fit with their labels two characters apart; then, if the last label
    // would run off the image, the plot's right edge moves in for it and the ticks are redone.
    for (int pass = 0; pass < 3; ++pass) {
      int widest = 0;
      for (int intervals = std::max(2, (f.right - f.left) / (40 * u));; --intervals) {
        f.x.SetTicks(intervals);
        widest = 0;
        for (double v : f.x.ticks) widest = std::max(widest, Canvas::TextWidth(f.x.Label(v), ts));
        double closest = std::numeric_limits<double>::infinity();
        for (size_t i = 1; i < f.x.ticks.size(); ++i)
          closest = std::min(closest, f.Px(f.x.ticks[i]) - f.Px(f.x.ticks[i - 1]));
        if (closest >= widest + 2 * kGlyphAdvance * ts || intervals <= 2) break;
      }
      if (f.x.ticks.empty()) break;
      const int last_w = Canvas::TextWidth(f.x.Label(f.x.ticks.back()), ts);
      const int overflow = Round(f.Px(f.x.ticks.back())) + last_w / 2 - (o.width - 1 - pad);
      if (overflow <= 0 || f.right - overflow - f.left < 40) break;
      f.right -= overflow;
    }

    Canvas canvas(o.width, o.height);
    for (double v : f.x.ticks) canvas.Line(Round(f.Px(v)), f.top, Round(f.Px(v)), f.bottom, kGrid);
    for (double v : f.y.ticks) canvas.Line(f.left, Round(f.Py(v)), f.right, Round(f.Py(v)), kGrid);
    if (o.diagonal) {  // y = x over the part of the plot where both axes cover it
      const double a = std::max(f.x.lo, f.y.lo), b = std::min(f.x.hi, f.y.hi);
      if (a < b) {
        canvas.DashedLine(Round(f.Px(a)), Round(f.Py(a)), Round(f.Px(b)), Round(f.Py(b)),
                          kDiagonal, 6 * u, 4 * u, u);
      }
    }
    chart.draw_data(canvas, f);

    int legend_x = f.right + 10 * u;
    int legend_y = f.top;
    if (!chart.legend.empty() && !outside) {
      const int inset = 8 * u;
      const int corners[4][2] = {{f.right - inset - legend_w, f.top + inset},
                                 {f.left + inset, f.top + inset},
                                 {f.right - inset - legend_w, f.bottom - inset - legend_h},
                                 {f.left + inset, f.bottom - inset - legend_h}};
      bool placed = false;
      for (const auto& corner : corners) {
        const bool fits = corner[0] > f.left && corner[1] > f.top &&
                          corner[0] + legend_w < f.right && corner[1] + legend_h < f.bottom;
        if (fits && InkIn(canvas, corner[0], corner[1], legend_w, legend_h) == 0) {
          legend_x = corner[0];
          legend_y = corner[1];
          placed = true;
          break;
        }
      }
      if (!placed) continue;
    }

    canvas.StrokeRect(f.left, f.top, f.right - f.left + 1, f.bottom - f.top + 1, kFrame);
    for (double v : f.x.ticks) {
      const int px = Round(f.Px(v));
      canvas.Line(px, f.bottom + 1, px, f.bottom + tick, kFrame, u);
      const std::string label = f.x.Label(v);
      const int w = Canvas::TextWidth(label, ts);
      canvas.Text(std::clamp(px - w / 2, 0, o.width - w), f.bottom + tick + gap, label, kInk, ts);
    }
    for (double v : f.y.ticks) {
      const int py = Round(f.Py(v));
      canvas.Line(f.left - tick, py, f.left - 1, py, kFrame, u);
      const std::string label = f.y.Label(v);
      canvas.Text(f.left - tick - gap - Canvas::TextWidth(label, ts), py - cap / 2, label, kInk,
                  ts);
    }
    const int plot_w = f.right - f.left + 1;
    const int plot_h = f.bottom - f.top + 1;
    const int title_w = Canvas::TextWidth(chart.title, title_scale) + u;
    // Centred over the plot area, but kept inside the margins when it is wider than that.
    int title_x = std::min(f.left + (plot_w - title_w) / 2, o.width - pad - title_w);
    title_x = std::max(title_x, std::min(pad, std::max(0, o.width - title_w)));
    // Drawn twice, a pixel apart: bold, so the title stands out from labels of the same size.
    canvas.Text(title_x, pad, chart.title, kInk, title_scale);
    canvas.Text(title_x + u, pad, chart.title, kInk, title_scale);
    const int x_label_w = Canvas::TextWidth(chart.x_label, ts);
    canvas.Text(f.left + (plot_w - x_label_w) / 2, o.height - pad - line_h, chart.x_label, kInk,
                ts);
    const int y_label_len = Canvas::TextWidth(chart.y_label, ts);
    canvas.TextUp(pad, std::max(0, f.top + (plot_h - y_label_len) / 2), chart.y_label, kInk, ts);

    if (!chart.legend.empty()) {
      canvas.FillRect(legend_x, legend_y, legend_w, legend_h, kWhite);
      canvas.StrokeRect(legend_x, legend_y, legend_w, legend_h, kLegendBorder);
      for (size_t i = 0; i < chart.legend.size(); ++i) {
        const LegendEntry& e = chart.legend[i];
        const int row_top = legend_y + inner + static_cast<int>(i) * row_h;
        const int mid = row_top + cap / 2;
        const int sx = legend_x + inner;
        if (e.line) {
          canvas.Line(sx, mid, sx + swatch - 1, mid, e.color, o.line_width);
        } else {
          canvas.Dot(sx + swatch / 2, mid, std::max(o.point_radius + 1, 4 * u), e.color);
        }
        canvas.Text(sx + swatch + inner, row_top, e.name, kInk, ts);
      }
    }
    return canvas;
  }
  LATENT_FAIL("chart: the legend found no place");  // unreachable: the second pass always returns
}

void CheckOptions(const ChartOptions& o) {
  LATENT_CHECK(o.width >= 240 && o.height >= 180 && o.width <= 8192 && o.height <= 8192,
               "chart: expected a size between 240 x 180 and 8192 x 8192 pixels, found ",
               o.width, " x ", o.height);
  LATENT_CHECK(o.line_width >= 1 && o.line_width <= 32, "chart: expected line_width in [1, 32], ",
               "found ", o.line_width);
  LATENT_CHECK(o.point_radius >= 0 && o.point_radius <= 32, "chart: expected point_radius in ",
               "[0, 32], found ", o.point_radius);
  LATENT_CHECK(!(o.diagonal && o.log_y), "chart: the y = x diagonal needs a linear y axis, found ",
               "log_y together with diagonal");
}

// Runs `draw` and, when it throws, says which file was being written.
template <typename Draw>
void WriteChart(const std::string& path, Draw draw) {
  Canvas canvas(1, 1);
  try {
    canvas = draw();
  } catch (const Error& e) {
    LATENT_FAIL("cannot write '", path, "': ", e.what());
  }
  canvas.WritePng(path);
}

}  // namespace

Canvas DrawLineChart(const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series,
                     const ChartOptions& options) {
  CheckOptions(options);
  LATENT_CHECK(!series.empty(), "line chart: expected at least one series, found none");
  std::vector<double> xs, ys;
  Chart chart{title, x_label, y_label, {}, {}, {}, options, nullptr};
  for (const Series& s : series) {
    LATENT_CHECK(s.x.size() == s.y.size(), "line chart: series '", s.name, "': expected as many ",
                 "x values as y values, found ", s.x.size(), " x and ", s.y.size(), " y values");
    LATENT_CHECK(!s.x.empty(), "line chart: series '", s.name, "': expected at least one point, ",
                 "found none");
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
    chart.legend.push_back({s.name, s.color, /*line=*/true});
  }
  // A point counts for the ranges only when both its coordinates can be drawn.
  const Axis probe_y{0.0, 1.0, options.log_y, {}};
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !probe_y.Drawable(ys[i])) xs[i] = ys[i] = NAN;
  }
  chart.x = MakeAxis(xs, options.x_min, options.x_max, /*log=*/false, "x");
  chart.y = MakeAxis(ys, options.y_min, options.y_max, options.log_y, "y");
  chart.draw_data = [&series, &options](Canvas& canvas, const Frame& f) {
    for (const Series& s : series) {
      const size_t n = s.x.size();
      auto ok = [&](size_t i) { return f.x.Drawable(s.x[i]) && f.y.Drawable(s.y[i]); };
      for (size_t i = 0; i < n; ++i) {
        if (!ok(i)) continue;
        const bool prev = i > 0 && ok(i - 1);
        const bool next = i + 1 < n && ok(i + 1);
        if (next) {
          double x0 = f.Px(s.x[i]), y0 = f.Py(s.y[i]), x1 = f.Px(s.x[i + 1]), y1 = f.Py(s.y[i + 1]);
          if (ClipSegment(x0, y0, x1, y1, f.left, f.top, f.right, f.bottom))
            canvas.Line(Round(x0), Round(y0), Round(x1), Round(y1), s.color, options.line_width);
        }
        const double px = f.Px(s.x[i]), py = f.Py(s.y[i]);
        if ((options.markers || (!prev && !next)) && f.Inside(px, py))
          canvas.Dot(Round(px), Round(py), std::max(options.point_radius, options.line_width + 1),
                     s.color);
      }
    }
  };
  return Render(chart);
}

void WriteLineChart(const std::string& path, const std::string& title, const std::string& x_label,
                    const std::string& y_label, const std::vector<Series>& series,
                    const ChartOptions& options) {
  WriteChart(path, [&] { return DrawLineChart(title, x_label, y_label, series, options); });
}

Canvas DrawScatter(const std::string& title, const std::string& x_label,
                   const std::string& y_label, const std::vector<double>& x,
                   const std::vector<double>& y, const std::vector<int>& category,
                   const std::vector<std::string>& category_names, const ChartOptions& options) {
  CheckOptions(options);
  LATENT_CHECK(x.size() == y.size() && x.size() == category.size(), "scatter: expected as many ",
               "x values, y values and categories, found ", x.size(), ", ", y.size(), " and ",
               category.size());
  LATENT_CHECK(!x.empty(), "scatter: expected at least one point, found none");
  const int64_t n_names = static_cast<int64_t>(category_names.size());
  LATENT_CHECK(n_names >= 1 && n_names <= kPaletteSize, "scatter: expected between 1 and ",
               kPaletteSize, " category names (one colour each), found ", n_names);
  for (size_t i = 0; i < category.size(); ++i) {
    LATENT_CHECK(category[i] >= 0 && category[i] < n_names, "scatter: point ", i, ": expected a ",
                 "category in [0, ", n_names, "), found ", category[i]);
  }
  std::vector<double> xs = x, ys = y;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]) || (options.log_y && !(ys[i] > 0.0)))
      xs[i] = ys[i] = NAN;
  }
  Chart chart{title, x_label, y_label, {}, {}, {}, options, nullptr};
  chart.x = MakeAxis(xs, options.x_min, options.x_max, /*log=*/false, "x");
  chart.y = MakeAxis(ys, options.y_min, options.y_max, options.log_y, "y");
  for (int64_t c = 0; c < n_names; ++c)
    chart.legend.push_back({category_names[c], PaletteColor(static_cast<int>(c)), /*line=*/false});
  chart.draw_data = [&](Canvas& canvas, const Frame& f) {
    for (size_t i = 0; i < x.size(); ++i) {
      if (!f.x.Drawable(x[i]) || !f.y.Drawable(y[i])) continue;
      const double px = f.Px(x[i]), py = f.Py(y[i]);
      if (f.Inside(px, py))
        canvas.Dot(Round(px), Round(py), options.point_radius, PaletteColor(category[i]));
    }
  };
  return Render(chart);
}

void WriteScatter(const std::string& path, const std::string& title, const std::string& x_label,
                  const std::string& y_label, const std::vector<double>& x,
                  const std::vector<double>& y, const std::vector<int>& category,
                  const std::vector<std::string>& category_names, const ChartOptions& options) {
  WriteChart(path, [&] {
    return DrawScatter(title, x_label, y_label, x, y, category, category_names, options);
  });
}

}  // namespace latent

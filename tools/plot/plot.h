// Charts for the pictures a run writes: loss curves from metrics.csv, ROC curves, and 2-D
// scatters of test codes coloured by digit.
//
// The chart functions lay out, on one Canvas (tools/plot/canvas.h), a title, axes with ticks at
// 1, 2 or 5 x 10^k and numeric tick labels (the rules live in tools/plot/ticks.h), axis labels and a
// legend, and write it as a PNG. Nothing here reads files: callers pass the numbers. This header
// includes tools/plot/canvas.h and tools/plot/ticks.h, so its users get Canvas, Rgb, the palette and the
// tick functions with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/plot/canvas.h"
#include "tools/plot/ticks.h"

namespace latent {

// One curve of a line chart. Points whose x or y is NaN or infinite are skipped and break the
// line; a point with no drawable neighbour is drawn as a dot so that it stays visible.
struct Series {
  std::string name;
  std::vector<double> x, y;
  Rgb color;
};

struct ChartOptions {
  int width = 640;  // pixels; at least 240 x 180
  int height = 480;
  // Fixed axis ends; an unset end follows the data (with a small margin). A ROC curve sets all
  // four to [0, 1]. Points outside a fixed range are clipped at the edge of the plot area.
  std::optional<double> x_min, x_max, y_min, y_max;
  bool log_y = false;     // logarithmic y axis; y <= 0 is then skipped like NaN
  bool diagonal = false;  // a dashed gray y = x line (a ROC chart's chance level); linear y only
  bool markers = false;   // a dot on every point of a line chart, not only on isolated ones
  int line_width = 2;     // pixels
  int point_radius = 2;   // pixels, for scatter points and markers
};

// A line chart with a legend of the series' names and colours. The legend goes in the corner of
// the plot area with no data under it, or to the right of the plot area when every corner is
// taken. Throws latent::Error for no series, a series without points, x and y of different
// lengths, or unusable options; Write* also when the file cannot be written, naming it.
Canvas DrawLineChart(const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series,
                     const ChartOptions& options = {});
void WriteLineChart(const std::string& path, const std::string& title, const std::string& x_label,
                    const std::string& y_label, const std::vector<Series>& series,
                    const ChartOptions& options = {});

// A scatter of the points (x[i], y[i]) in the colour PaletteColor(category[i]), drawn in input
// order so that no category hides the others wholesale, with a legend listing every category
// name (also those with no points). Non-finite points are skipped. Throws latent::Error when the
// vectors differ in length or are empty, when there are no names or more than kPaletteSize, or
// when a category is outside [0, category_names.size()).
Canvas DrawScatter(const std::string& title, const std::string& x_label,
                   const std::string& y_label, const std::vector<double>& x,
                   const std::vector<double>& y, const std::vector<int>& category,
                   const std::vector<std::string>& category_names,
                   const ChartOptions& options = {});
void WriteScatter(const std::string& path, const std::string& title, const std::string& x_label,
                  const std::string& y_label, const std::vector<double>& x,
                  const std::vector<double>& y, const std::vector<int>& category,
                  const std::vector<std::string>& category_names,
                  const ChartOptions& options = {});

}  // namespace latent

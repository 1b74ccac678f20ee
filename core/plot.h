// Raster plots for the pictures a run writes: loss curves from metrics.csv, ROC curves, and 2-D
// scatters of test codes coloured by digit.
//
// A Canvas is an RGB image with clipped drawing primitives and text in the bitmap font of
// core/font.h. The chart functions lay out, on one Canvas, a title, axes with ticks at
// 1, 2 or 5 x 10^k and numeric tick labels, axis labels and a legend, and write it as a PNG
// (stb_image_write, atomically like core/file_util.h). Nothing here reads files: callers pass
// the numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace latent {

struct Rgb {
  uint8_t r, g, b;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb& o) const { return !(*this == o); }
};

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};

// Ten hues that stay distinct from one another on white (blue, orange, green, red, purple,
// brown, pink, gray, olive, cyan): colour i marks digit i in scatters and series i in charts.
constexpr int kPaletteSize = 10;
Rgb PaletteColor(int i);  // i is taken modulo kPaletteSize

// An RGB image, width x height pixels, row-major, top-left origin. Every drawing call clips to
// the image, so shapes may start, end or lie wholly outside it.
class Canvas {
 public:
  // Throws latent::Error unless 1 <= width, height <= 32768.
  Canvas(int width, int height, Rgb background = kWhite);

  int width() const { return width_; }
  int height() const { return height_; }
  // The colour at (x, y); throws latent::Error naming the point when it lies outside.
  Rgb Pixel(int x, int y) const;
  // pixels: (height, width, 3) bytes, r g b.
  const std::vector<uint8_t>& pixels() const { return pixels_; }

  void SetPixel(int x, int y, Rgb color);
  // The w x h rectangle whose top-left pixel is (x, y); nothing when w or h <= 0.
  void FillRect(int x, int y, int w, int h, Rgb color);
  // The 1-pixel outline of the same rectangle.
  void StrokeRect(int x, int y, int w, int h, Rgb color);
  // Bresenham's line from (x0, y0) to (x1, y1), both ends included. A thickness t stamps a
  // t x t square centred on each point: a horizontal line covers rows y - (t-1)/2 .. y + t/2.
  void Line(int x0, int y0, int x1, int y1, Rgb color, int thickness = 1);
  // The same line drawn `dash` points on, `gap` points off.
  void DashedLine(int x0, int y0, int x1, int y1, Rgb color, int dash = 6, int gap = 4,
                  int thickness = 1);
  // A filled disc: the points within radius + 1/2 of the centre (radius 0 is one pixel).
  void Dot(int cx, int cy, int radius, Rgb color);

  // One line of text whose top-left corner is (x, y), each font pixel drawn as a scale x scale
  // block. It covers exactly TextWidth(text, scale) x TextHeight(scale) pixels from (x, y).
  void Text(int x, int y, const std::string& text, Rgb color, int scale = 1);
  // The same text turned a quarter turn counter-clockwise, reading bottom to top (a y-axis
  // label). It covers TextHeight(scale) x TextWidth(text, scale) pixels from (x, y).
  void TextUp(int x, int y, const std::string& text, Rgb color, int scale = 1);
  static int TextWidth(const std::string& text, int scale = 1);
  static int TextHeight(int scale = 1);

  // Copies a grayscale image (gray: (h, w), values in [0, 1], clamped, NaN drawn black) with its
  // top-left corner at (x, y), each pixel as a scale x scale block: digit tiles in a figure.
  void Blit(int x, int y, const float* gray, int w, int h, int scale = 1);

  // Writes the image as an RGB PNG, atomically (a crash leaves the old file or the new one).
  // Throws latent::Error naming the file when it cannot be encoded or written.
  void WritePng(const std::string& path) const;

 private:
  // Calls plot(x, y, i) for the i-th point of the Bresenham line, after clipping the line to
  // the image grown by `margin` pixels, so a line ending a billion pixels away costs nothing.
  template <typename Plot>
  void WalkLine(int x0, int y0, int x1, int y1, int margin, Plot plot) const;
  void Stamp(int x, int y, int thickness, Rgb color);

  int width_;
  int height_;
  std::vector<uint8_t> pixels_;
};

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

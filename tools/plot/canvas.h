// The raster that every picture of a run is drawn on: an RGB image with clipped drawing
// primitives (pixels, rectangles, Bresenham lines, dashed lines, discs), one-line text in the
// bitmap font of tools/plot/font.h (upright or turned for a y-axis label), grayscale tiles blitted at
// a scale, and PNG output (stb_image_write, atomically like core/io/file_util.h). Also the colours
// shared by the charts of tools/plot/plot.h and the figures of tools/plot/pictures.h.
#pragma once

#include <cstdint>
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

// Clips the segment (x0, y0)-(x1, y1) in place to the box [xmin, xmax] x [ymin, ymax]
// (Liang-Barsky); returns false, leaving the ends unchanged, when no part of it is inside.
// Canvas uses it to skip lines that end far outside the image; the charts, to cut their
// curves at the edge of the plot area.
bool ClipSegment(double& x0, double& y0, double& x1, double& y1, double xmin, double ymin,
                 double xmax, double ymax);

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
  // Values become bytes by GrayToByte (core/io/image.h), so a tile matches the image grids.
  // Throws latent::Error for null data, w or h < 0 or scale < 1.
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

}  // namespace latent

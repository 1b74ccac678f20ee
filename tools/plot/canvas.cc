#include "tools/plot/canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "kernels/error.h"
#include "tools/plot/font.h"
#include "core/io/image.h"

namespace latent {
namespace {

// stb_image_write takes int sizes; 2^15 a side is far beyond any figure and keeps every size
// product below far from int overflow.
constexpr int kMaxSide = 1 << 15;

}  // namespace

bool ClipSegment(double& x0, double& y0, double& x1, double& y1, double xmin, double ymin,
                 double xmax, double ymax) {
  const double dx = x1 - x0;
  const double dy = y1 - y0;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {x0 - xmin, xmax - x0, y0 - ymin, ymax - y0};
  double t0 = 0.0;
  double t1 = 1.0;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0.0) {
      if (q[i] < 0.0) return false;  // parallel to this edge and outside it
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0.0) {
      if (t > t1) return false;
      t0 = std::max(t0, t);
    } else {
      if (t < t0) return false;
      t1 = std::min(t1, t);
    }
  }
  const double sx = x0;
  const double sy = y0;
  x0 = sx + t0 * dx;
  y0 = sy + t0 * dy;
  x1 = sx + t1 * dx;
  y1 = sy + t1 * dy;
  return true;
}

Rgb PaletteColor(int i) {
  // Chosen by eye for distinct hue and similar weight; gray and olive sit late because they
  // are the two a reader is least likely to tell from the background or from green.
  static constexpr Rgb kPalette[kPaletteSize] = {
      {31, 110, 184},   // blue
      {245, 130, 20},   // orange
      {40, 158, 60},    // green
      {212, 40, 46},    // red
      {142, 96, 196},   // purple
      {138, 82, 66},    // brown
      {230, 110, 190},  // pink
      {120, 120, 120},  // gray
      {180, 182, 30},   // olive
      {24, 186, 210},   // cyan
  };
  return kPalette[((i % kPaletteSize) + kPaletteSize) % kPaletteSize];
}

Canvas::Canvas(int width, int height, Rgb background) : width_(width), height_(height) {
  LATENT_CHECK(width >= 1 && height >= 1 && width <= kMaxSide && height <= kMaxSide,
               "canvas: expected a size between 1 x 1 and ", kMaxSide, " x ", kMaxSide,
               " pixels, found ", width, " x ", height);
  pixels_.resize(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

Rgb Canvas::Pixel(int x, int y) const {
  LATENT_CHECK(x >= 0 && y >= 0 && x < width_ && y < height_, "canvas: expected a pixel inside ",
               width_, " x ", height_, ", found (", x, ", ", y, ")");
  const size_t i = (static_cast<size_t>(y) * width_ + x) * 3;
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Canvas::SetPixel(int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const size_t i = (static_cast<size_t>(y) * width_ + x) * 3;
  pixels_[i] = color.r;
  pixels_[i + 1] = color.g;
  pixels_[i + 2] = color.b;
}

void Canvas::FillRect(int x, int y, int w, int h, Rgb color) {
  if (w <= 0 || h <= 0) return;
  // int64 so that a rectangle near INT_MAX cannot overflow its far edge.
  const int64_t x0 = std::max<int64_t>(x, 0);
  const int64_t y0 = std::max<int64_t>(y, 0);
  const int64_t x1 = std::min<int64_t>(int64_t{x} + w, width_);
  const int64_t y1 = std::min<int64_t>(int64_t{y} + h, height_);
  for (int64_t py = y0; py < y1; ++py)
    for (int64_t px = x0; px < x1; ++px)
      SetPixel(static_cast<int>(px), static_cast<int>(py), color);
}

void Canvas::StrokeRect(int x, int y, int w, int h, Rgb color) {
  if (w <= 0 || h <= 0) return;
  FillRect(x, y, w, 1, color);
  FillRect(x, y + h - 1, w, 1, color);
  FillRect(x, y, 1, h, color);
  FillRect(x + w - 1, y, 1, h, color);
}

template <typename Plot>
void Canvas::WalkLine(int x0, int y0, int x1, int y1, int margin, Plot plot) const {
  int64_t ax = x0, ay = y0, bx = x1, by = y1;
  const int64_t lo_x = -margin, lo_y = -margin;
  const int64_t hi_x = int64_t{width_} - 1 + margin, hi_y = int64_t{height_} - 1 + margin;
  auto inside = [&](int64_t x, int64_t y) {
    return x >= lo_x && x <= hi_x && y >= lo_y && y <= hi_y;
  };
  if (!inside(ax, ay) || !inside(bx, by)) {
    // Only lines reaching outside are clipped, so lines within the image keep the exact
    // Bresenham points of their integer ends.
    double fx0 = x0, fy0 = y0, fx1 = x1, fy1 = y1;
    if (!ClipSegment(fx0, fy0, fx1, fy1, lo_x, lo_y, hi_x, hi_y)) return;
    ax = std::llround(fx0), ay = std::llround(fy0), bx = std::llround(fx1), by = std::llround(fy1);
  }
  const int64_t dx = std::llabs(bx - ax), dy = -std::llabs(by - ay);
  const int64_t sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
  int64_t error = dx + dy;
  for (int64_t i = 0;; ++i) {
    plot(static_cast<int>(ax), static_cast<int>(ay), i);
    if (ax == bx && ay == by) break;
    const int64_t e2 = 2 * error;
    if (e2 >= dy) error += dy, ax += sx;
    if (e2 <= dx) error += dx, ay += sy;
  }
}

void Canvas::Stamp(int x, int y, int thickness, Rgb color) {
  if (thickness <= 1) return SetPixel(x, y, color);
  FillRect(x - (thickness - 1) / 2, y - (thickness - 1) / 2, thickness, thickness, color);
}

void Canvas::Line(int x0, int y0, int x1, int y1, Rgb color, int thickness) {
  WalkLine(x0, y0, x1, y1, thickness,
           [&](int x, int y, int64_t) { Stamp(x, y, thickness, color); });
}

void Canvas::DashedLine(int x0, int y0, int x1, int y1, Rgb color, int dash, int gap,
                        int thickness) {
  LATENT_CHECK(dash >= 1 && gap >= 0, "dashed line: expected dash >= 1 and gap >= 0, found dash=",
               dash, " gap=", gap);
  WalkLine(x0, y0, x1, y1, thickness, [&](int x, int y, int64_t i) {
    if (i % (dash + gap) < dash) Stamp(x, y, thickness, color);
  });
}

void Canvas::Dot(int cx, int cy, int radius, Rgb color) {
  if (radius < 0) return;
  // r^2 + r rather than r^2: the disc of radius r + 1/2, which is round at small radii instead
  // of a diamond with single-pixel tips.
  const int64_t limit = int64_t{radius} * radius + radius;
  const int64_t x_lo = std::max<int64_t>(int64_t{cx} - radius, 0);
  const int64_t x_hi = std::min<int64_t>(int64_t{cx} + radius, width_ - 1);
  const int64_t y_lo = std::max<int64_t>(int64_t{cy} - radius, 0);
  const int64_t y_hi = std::min<int64_t>(int64_t{cy} + radius, height_ - 1);
  for (int64_t y = y_lo; y <= y_hi; ++y) {
    for (int64_t x = x_lo; x <= x_hi; ++x) {
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= limit)
        SetPixel(static_cast<int>(x), static_cast<int>(y), color);
    }
  }
}

int Canvas::TextWidth(const std::string& text, int scale) {
  if (text.empty()) return 0;
  // The last glyph needs no spacing column after it.
  return (static_cast<int>(text.size()) * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth)) * scale;
}

int Canvas::TextHeight(int scale) { return kGlyphHeight * scale; }

void Canvas::Text(int x, int y, const std::string& text, Rgb color, int scale) {
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t* rows = GlyphRows(text[i]);
    const int left = x + static_cast<int>(i) * kGlyphAdvance * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (rows[row] & (1 << (kGlyphWidth - 1 - col)))
          FillRect(left + col * scale, y + row * scale, scale, scale, color);
      }
    }
  }
}

void Canvas::TextUp(int x, int y, const std::string& text, Rgb color, int scale) {
  // A font pixel at (u, v) of the unturned text (u along the line, v down) lands at
  // (x + v, y + width - 1 - u): the glyphs' tops face left and the first letter is at the bottom.
  const int width = TextWidth(text, 1);
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t* rows = GlyphRows(text[i]);
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (!(rows[row] & (1 << (kGlyphWidth - 1 - col)))) continue;
        const int u = static_cast<int>(i) * kGlyphAdvance + col;
        FillRect(x + row * scale, y + (width - 1 - u) * scale, scale, scale, color);
      }
    }
  }
}

void Canvas::Blit(int x, int y, const float* gray, int w, int h, int scale) {
  LATENT_CHECK(gray != nullptr && w >= 0 && h >= 0 && scale >= 1, "blit: expected pixel data, ",
               "w, h >= 0 and scale >= 1, found ", gray == nullptr ? "null data" : "data", ", w=",
               w, " h=", h, " scale=", scale);
  for (int row = 0; row < h; ++row) {
    for (int col = 0; col < w; ++col) {
      const uint8_t v = GrayToByte(gray[static_cast<size_t>(row) * w + col]);
      FillRect(x + col * scale, y + row * scale, scale, scale, Rgb{v, v, v});
    }
  }
}

void Canvas::WritePng(const std::string& path) const {
  latent::WritePng(path, pixels_.data(), width_, height_, /*channels=*/3, "plot");
}

}  // namespace latent

// The raster of tools/plot/canvas.h and the font of tools/plot/font.h: every glyph distinct and within its
// cell; text, turned text, lines, dots and blits setting exactly the pixels they promise,
// clipped at the edges; and PNG output that decodes back to the same pixels.
#include "tools/plot/canvas.h"

#include <gtest/gtest.h>
#include <stb_image.h>

#include <climits>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kernels/error.h"
#include "tools/plot/font.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

constexpr Rgb kBackground{250, 250, 250};
constexpr Rgb kRed{200, 20, 20};

// The pixels of `canvas` that differ from `background`, as (x, y) pairs.
std::vector<std::pair<int, int>> Inked(const Canvas& canvas, Rgb background) {
  std::vector<std::pair<int, int>> points;
  for (int y = 0; y < canvas.height(); ++y)
    for (int x = 0; x < canvas.width(); ++x)
      if (canvas.Pixel(x, y) != background) points.emplace_back(x, y);
  return points;
}

// --- font --------------------------------------------------------------------------------------

TEST(PlotFont, EveryPrintableGlyphHasInkWithinFiveColumnsAndAllAreDistinct) {
  std::set<std::vector<uint8_t>> seen;
  for (int c = 32; c <= 126; ++c) {
    const uint8_t* rows = GlyphRows(static_cast<char>(c));
    std::vector<uint8_t> glyph(rows, rows + kGlyphHeight);
    int ink = 0;
    for (uint8_t row : glyph) {
      EXPECT_LT(row, 1 << kGlyphWidth) << "glyph '" << static_cast<char>(c) << "' is too wide";
      ink += row != 0;
    }
    EXPECT_EQ(ink > 0, c != ' ') << "glyph '" << static_cast<char>(c) << "'";
    EXPECT_TRUE(seen.insert(glyph).second) << "glyph '" << static_cast<char>(c)
                                           << "' repeats an earlier one";
  }
  // Bytes outside printable ASCII show as '?'.
  EXPECT_EQ(GlyphRows('\n'), GlyphRows('?'));
  EXPECT_EQ(GlyphRows(static_cast<char>(200)), GlyphRows('?'));
}

// --- canvas --------------------------------------------------------------------------------------

TEST(PlotCanvas, TextFillsExactlyItsTextWidthBox) {
  // 'H' inks the left and right columns of its cell, 'g' and 'p' the bottom descender row.
  const std::string text = "Hg 0.5e-3, pH";
  for (int scale : {1, 3}) {
    Canvas canvas(260, 60, kBackground);
    const int x = 7, y = 5;
    canvas.Text(x, y, text, kRed, scale);
    const int w = Canvas::TextWidth(text, scale);
    const int h = Canvas::TextHeight(scale);
    EXPECT_EQ(w, (13 * 6 - 1) * scale);
    EXPECT_EQ(h, 9 * scale);
    const auto inked = Inked(canvas, kBackground);
    ASSERT_FALSE(inked.empty());
    int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
    for (auto [px, py] : inked) {
      EXPECT_EQ(canvas.Pixel(px, py), kRed);
      x0 = std::min(x0, px), y0 = std::min(y0, py), x1 = std::max(x1, px), y1 = std::max(y1, py);
    }
    // Nothing outside the box, and the box is tight: ink touches all four of its edges.
    EXPECT_EQ(x0, x) << "scale " << scale;
    EXPECT_EQ(y0, y) << "scale " << scale;
    EXPECT_EQ(x1, x + w - 1) << "scale " << scale;
    EXPECT_EQ(y1, y + h - 1) << "scale " << scale;
  }
  EXPECT_EQ(Canvas::TextWidth(""), 0);
}

TEST(PlotCanvas, TurnedTextFillsTheTurnedBoxAndReadsBottomToTop) {
  Canvas canvas(40, 120, kBackground);
  const std::string text = "Hg pH";
  canvas.TextUp(3, 4, text, kRed, 2);
  const int w = Canvas::TextHeight(2);      // across the turned text
  const int h = Canvas::TextWidth(text, 2);  // along it
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (auto [px, py] : Inked(canvas, kBackground))
    x0 = std::min(x0, px), y0 = std::min(y0, py), x1 = std::max(x1, px), y1 = std::max(y1, py);
  EXPECT_EQ(x0, 3);
  EXPECT_EQ(y0, 4);
  EXPECT_EQ(x1, 3 + w - 1);
  EXPECT_EQ(y1, 4 + h - 1);
  // The first 'H' is at the bottom: its left stem, turned, is the bottom row of the box, inked
  // across the 7 rows of a capital; the top row holds the last 'H''s right stem, also 7 high.
  for (int v = 0; v < 7 * 2; ++v) {
    EXPECT_EQ(canvas.Pixel(3 + v, 4 + h - 1), kRed) << v;
    EXPECT_EQ(canvas.Pixel(3 + v, 4), kRed) << v;
  }
}

TEST(PlotCanvas, HorizontalLineSetsExactlyItsPixels) {
  Canvas canvas(20, 10, kBackground);
  canvas.Line(2, 3, 12, 3, kRed);
  std::vector<std::pair<int, int>> expected;
  for (int x = 2; x <= 12; ++x) expected.emplace_back(x, 3);
  EXPECT_EQ(Inked(canvas, kBackground), expected);

  // Thickness 3 covers rows 2..4 and, being a stamped square, one column beyond each end.
  Canvas thick(20, 10, kBackground);
  thick.Line(12, 3, 2, 3, kRed, 3);
  expected.clear();
  for (int y = 2; y <= 4; ++y)
    for (int x = 1; x <= 13; ++x) expected.emplace_back(x, y);
  EXPECT_EQ(Inked(thick, kBackground), expected);
}

TEST(PlotCanvas, SlantedLinesSetBothEndsAndOnePixelPerStep) {
  // Shallow: one pixel in every column from 1 to 15, none elsewhere; steep: one per row.
  Canvas shallow(20, 10, kBackground);
  shallow.Line(1, 2, 15, 7, kRed);
  EXPECT_EQ(shallow.Pixel(1, 2), kRed);
  EXPECT_EQ(shallow.Pixel(15, 7), kRed);
  const auto a = Inked(shallow, kBackground);
  EXPECT_EQ(a.size(), 15u);
  std::set<int> columns;
  for (auto [x, y] : a) columns.insert(x);
  EXPECT_EQ(columns.size(), 15u);

  Canvas steep(20, 20, kBackground);
  steep.Line(9, 18, 3, 1, kRed);
  EXPECT_EQ(steep.Pixel(9, 18), kRed);
  EXPECT_EQ(steep.Pixel(3, 1), kRed);
  const auto b = Inked(steep, kBackground);
  EXPECT_EQ(b.size(), 18u);
  std::set<int> rows;
  for (auto [x, y] : b) rows.insert(y);
  EXPECT_EQ(rows.size(), 18u);
}

TEST(PlotCanvas, DrawingAtAndBeyondTheEdgesIsClipped) {
  Canvas canvas(20, 10, kBackground);
  // A line from a billion pixels left to a billion right: exactly row 5, at once.
  canvas.Line(-1000000000, 5, 1000000000, 5, kRed);
  std::vector<std::pair<int, int>> expected;
  for (int x = 0; x < 20; ++x) expected.emplace_back(x, 5);
  EXPECT_EQ(Inked(canvas, kBackground), expected);

  Canvas edges(20, 10, kBackground);
  edges.Line(INT_MIN, INT_MIN, INT_MAX, INT_MIN, kRed, 5);  // far above: nothing
  edges.Line(-50, 30, 70, 30, kRed);                          // below: nothing
  edges.SetPixel(20, 0, kRed);
  edges.SetPixel(-1, 3, kRed);
  edges.Dot(INT_MAX, INT_MAX, 3, kRed);
  edges.Text(-1000, -1000, "far away", kRed, 4);
  edges.FillRect(INT_MAX - 1, 0, INT_MAX, 5, kRed);
  EXPECT_TRUE(Inked(edges, kBackground).empty());

  // Shapes straddling a corner keep exactly their inside part.
  Canvas corner(20, 10, kBackground);
  corner.FillRect(-5, -5, 10, 10, kRed);
  expected.clear();
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) expected.emplace_back(x, y);
  EXPECT_EQ(Inked(corner, kBackground), expected);

  Canvas diagonal(20, 10, kBackground);
  diagonal.Line(5, 5, INT_MAX, INT_MAX, kRed);  // through the corner (9, 9) and beyond
  EXPECT_EQ(diagonal.Pixel(5, 5), kRed);
  EXPECT_EQ(diagonal.Pixel(9, 9), kRed);
  EXPECT_EQ(Inked(diagonal, kBackground).size(), 5u);
}

TEST(PlotCanvas, DotIsTheDiscOfRadiusPlusAHalf) {
  Canvas canvas(11, 11, kBackground);
  canvas.Dot(5, 5, 2, kRed);
  // Offsets with dx^2 + dy^2 <= 2^2 + 2: the 5 x 5 square without its four corners.
  EXPECT_EQ(Inked(canvas, kBackground).size(), 21u);
  EXPECT_EQ(canvas.Pixel(7, 6), kRed);
  EXPECT_EQ(canvas.Pixel(7, 7), kBackground);

  Canvas cut(11, 11, kBackground);
  cut.Dot(0, 0, 2, kRed);  // a quarter of it: (dx, dy) in [0, 2]^2 minus (2, 2)
  EXPECT_EQ(Inked(cut, kBackground).size(), 8u);
}

TEST(PlotCanvas, BlitScalesGrayPixelsAndClips) {
  Canvas canvas(6, 6, kRed);
  const float gray[4] = {0.0f, 1.0f, 0.5f, std::nanf("")};  // (2, 2)
  canvas.Blit(1, 1, gray, 2, 2, 2);
  EXPECT_EQ(canvas.Pixel(1, 1), (Rgb{0, 0, 0}));
  EXPECT_EQ(canvas.Pixel(2, 2), (Rgb{0, 0, 0}));
  EXPECT_EQ(canvas.Pixel(3, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(canvas.Pixel(4, 2), (Rgb{255, 255, 255}));
  EXPECT_EQ(canvas.Pixel(1, 3), (Rgb{128, 128, 128}));  // round(0.5 * 255)
  EXPECT_EQ(canvas.Pixel(4, 4), (Rgb{0, 0, 0}));        // NaN draws black
  EXPECT_EQ(canvas.Pixel(0, 0), kRed);
  EXPECT_EQ(canvas.Pixel(5, 5), kRed);
  canvas.Blit(5, 5, gray, 2, 2, 3);  // mostly outside: only (5, 5) of the first block lands
  EXPECT_EQ(canvas.Pixel(5, 5), (Rgb{0, 0, 0}));
  ExpectErrorContaining([&] { canvas.Blit(0, 0, nullptr, 2, 2); }, {"null data"});
}

TEST(PlotCanvas, WritePngRoundTripsAndNamesTheFileOnFailure) {
  latent::testing::ScratchDir scratch("plot_canvas");
  Canvas canvas(7, 3, kBackground);
  canvas.SetPixel(6, 2, kRed);
  const std::string path = scratch.Path("c.png");
  canvas.WritePng(path);
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 0);
  ASSERT_NE(data, nullptr) << stbi_failure_reason();
  EXPECT_EQ(w, 7);
  EXPECT_EQ(h, 3);
  EXPECT_EQ(channels, 3);
  EXPECT_EQ(std::vector<int>(data + (2 * 7 + 6) * 3, data + (2 * 7 + 6) * 3 + 3),
            (std::vector<int>{200, 20, 20}));
  EXPECT_EQ(std::vector<int>(data, data + 3), (std::vector<int>{250, 250, 250}));
  stbi_image_free(data);
  const std::string bad = scratch.Path("no/such/dir/c.png");
  ExpectErrorContaining([&] { canvas.WritePng(bad); }, {bad});
  ExpectErrorContaining([] { Canvas(0, 5); }, {"found 0 x 5"});
}

}  // namespace
}  // namespace latent

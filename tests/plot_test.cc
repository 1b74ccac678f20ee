// The charts of tools/plot/plot.h: line charts and scatters that decode as PNGs with every series and
// category visible, fixed ranges that clip, a legend that avoids the data, log axes, the palette,
// and errors that say what was expected. The tick rules have their own tests (ticks_test.cc).
#include "tools/plot/plot.h"

#include <gtest/gtest.h>
#include <stb_image.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/error.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

constexpr Rgb kRed{200, 20, 20};

int64_t CountColor(const Canvas& canvas, Rgb color) {
  int64_t n = 0;
  for (int y = 0; y < canvas.height(); ++y)
    for (int x = 0; x < canvas.width(); ++x) n += canvas.Pixel(x, y) == color;
  return n;
}

// The smallest box holding every pixel of `color`: {x0, y0, x1, y1}, inclusive; x0 = -1 if none.
std::tuple<int, int, int, int> BoundsOf(const Canvas& canvas, Rgb color) {
  int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;
  for (int y = 0; y < canvas.height(); ++y) {
    for (int x = 0; x < canvas.width(); ++x) {
      if (canvas.Pixel(x, y) != color) continue;
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    }
  }
  if (x1 < 0) return {-1, -1, -1, -1};
  return {x0, y0, x1, y1};
}

constexpr Rgb kBlue{10, 60, 220};
constexpr Rgb kGreen{20, 170, 40};
constexpr Rgb kPurple{130, 40, 160};

// A PNG read back through stb_image, as RGB.
struct DecodedPng {
  explicit DecodedPng(const std::string& path)
      : data(stbi_load(path.c_str(), &width, &height, &channels, 3)) {}
  ~DecodedPng() { stbi_image_free(data); }
  DecodedPng(const DecodedPng&) = delete;
  DecodedPng& operator=(const DecodedPng&) = delete;
  bool ok() const { return data != nullptr; }
  // How many pixels have exactly the colour c.
  int64_t Count(Rgb c) const {
    int64_t n = 0;
    for (int i = 0; i < width * height; ++i)
      n += data[3 * i] == c.r && data[3 * i + 1] == c.g && data[3 * i + 2] == c.b;
    return n;
  }
  int width = 0, height = 0, channels = 0;
  unsigned char* data;
};

Series Ramp(const std::string& name, Rgb color, double slope) {
  Series s{name, {}, {}, color};
  for (int i = 0; i <= 20; ++i) {
    s.x.push_back(i);
    s.y.push_back(100.0 + slope * i);
  }
  return s;
}

TEST(PlotCharts, LineChartPngDecodesAndShowsEverySeriesColour) {
  latent::testing::ScratchDir scratch("plot_line");
  const std::string path = scratch.Path("loss.png");
  Series nan_only{"diverged", {1, 2, 3}, {NAN, INFINITY, NAN}, kPurple};
  WriteLineChart(path, "loss", "epoch", "loss",
                 {Ramp("train", kBlue, -2), Ramp("test", kGreen, -1), nan_only});
  const DecodedPng png(path);
  ASSERT_TRUE(png.ok()) << stbi_failure_reason();
  ASSERT_EQ(png.width, 640);
  ASSERT_EQ(png.height, 480);
  auto count = [&](Rgb c) { return png.Count(c); };
  // Curves 2 pixels thick across the plot, and the legend's samples.
  EXPECT_GT(count(kBlue), 500);
  EXPECT_GT(count(kGreen), 500);
  // The all-NaN series has no curve, only its legend sample: some pixels, far fewer.
  EXPECT_GT(count(kPurple), 0);
  EXPECT_LT(count(kPurple), 100);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(PlotCharts, SinglePointsAndConstantSeriesAreDrawn) {
  const Series legend_only{"p", {0.0}, {NAN}, kPurple};
  const int64_t legend_pixels = CountColor(DrawLineChart("t", "x", "y", {legend_only}), kPurple);
  ASSERT_GT(legend_pixels, 0);
  // One point: a dot besides the legend sample.
  const Series point{"p", {3.0}, {7.0}, kPurple};
  EXPECT_GT(CountColor(DrawLineChart("t", "x", "y", {point}), kPurple), legend_pixels + 20);
  // A constant series: a flat line across the plot, not a division by a zero range.
  const Series flat{"p", {1, 2, 3, 4}, {5, 5, 5, 5}, kPurple};
  const Canvas canvas = DrawLineChart("t", "x", "y", {flat});
  EXPECT_GT(CountColor(canvas, kPurple), legend_pixels + 2 * 300);
  const auto [x0, y0, x1, y1] = BoundsOf(canvas, kPurple);
  EXPECT_GT(x1 - x0, 300);
  (void)y0, (void)y1;
}

TEST(PlotCharts, FixedRangesClipDataAndTheDiagonalIsDrawnOnRequest) {
  ChartOptions roc;
  roc.x_min = 0, roc.x_max = 1, roc.y_min = 0, roc.y_max = 1;
  // A curve that leaves the [0, 1] box upwards: unclipped, it would run over the title band.
  const Series wild{"wild", {0.0, 0.5, 1.0}, {0.0, 5.0, 1.0}, kRed};
  const Canvas plain = DrawLineChart("roc", "fpr", "tpr", {wild}, roc);
  const auto [x0, y0, x1, y1] = BoundsOf(plain, kRed);
  EXPECT_GE(y0, 30) << "curve pixels reach row " << y0 << ", inside the title band";
  (void)x0, (void)x1;

  roc.diagonal = true;
  const Canvas with_diagonal = DrawLineChart("roc", "fpr", "tpr", {wild}, roc);
  // The diagonal adds a gray that the plain chart does not have, running corner to corner.
  std::set<std::tuple<int, int, int>> plain_colors;
  for (int y = 0; y < plain.height(); ++y)
    for (int x = 0; x < plain.width(); ++x) {
      const Rgb c = plain.Pixel(x, y);
      plain_colors.insert({c.r, c.g, c.b});
    }
  bool found = false;
  for (int y = 0; y < with_diagonal.height() && !found; ++y)
    for (int x = 0; x < with_diagonal.width() && !found; ++x) {
      const Rgb c = with_diagonal.Pixel(x, y);
      if (plain_colors.count({c.r, c.g, c.b}) == 0) {
        EXPECT_TRUE(c.r == c.g && c.g == c.b) << "new colour is not gray";
        const auto [dx0, dy0, dx1, dy1] = BoundsOf(with_diagonal, c);
        EXPECT_GT(dx1 - dx0, 400);
        EXPECT_GT(dy1 - dy0, 300);
        found = true;
      }
    }
  EXPECT_TRUE(found) << "diagonal=true drew no new colour";
}

TEST(PlotCharts, LegendAvoidsDataAndMovesOutsideWhenEveryCornerIsTaken) {
  // A rising line fills the bottom-left and top-right corners: the legend goes top-left.
  const Canvas rising = DrawLineChart("t", "x", "y", {Ramp("up", kBlue, 3)});
  const auto [bx0, by0, bx1, by1] = BoundsOf(rising, kBlue);
  const auto [gx0, gy0, gx1, gy1] = BoundsOf(rising, Rgb{170, 170, 170});  // legend border
  ASSERT_GE(gx0, 0) << "no legend border found";
  EXPECT_LT(gx1, rising.width() / 2);
  EXPECT_LT(gy1, rising.height() / 2);
  (void)bx0, (void)by0, (void)bx1, (void)by1, (void)gy0;

  // A zigzag through all four corners: the legend goes right of every data pixel.
  Series zigzag{"zigzag", {0, 1, 2, 3}, {0, 1, 0, 1}, kBlue};
  Series down{"down", {0, 3}, {1, 0}, kGreen};
  const Canvas full = DrawLineChart("t", "x", "y", {zigzag, down});
  const auto [zx0, zy0, zx1, zy1] = BoundsOf(full, kGreen);
  const auto [lx0, ly0, lx1, ly1] = BoundsOf(full, Rgb{170, 170, 170});
  ASSERT_GE(lx0, 0) << "no legend border found";
  // The green curve's right end; the legend's own green sample lies inside the border box.
  int curve_right = -1;
  for (int y = 0; y < full.height(); ++y)
    for (int x = 0; x < lx0; ++x)
      if (full.Pixel(x, y) == kGreen) curve_right = std::max(curve_right, x);
  EXPECT_GT(curve_right, 0);
  EXPECT_GT(lx0, curve_right);
  (void)zx0, (void)zy0, (void)zx1, (void)zy1, (void)ly0, (void)lx1, (void)ly1;
}

TEST(PlotCharts, LogAxisSkipsNonPositiveValues) {
  ChartOptions log;
  log.log_y = true;
  const Series s{"kl", {1, 2, 3, 4, 5}, {100, 0, -3, 1, 0.01}, kBlue};
  const Canvas canvas = DrawLineChart("t", "x", "y", {s}, log);
  EXPECT_GT(CountColor(canvas, kBlue), 200);  // the segment 4-5 and the dot at 1
}

TEST(PlotCharts, ScatterPngShowsEachCategoryAndLegendsTheEmptyOne) {
  latent::testing::ScratchDir scratch("plot_scatter");
  const std::string path = scratch.Path("codes.png");
  std::vector<double> x, y;
  std::vector<int> category;
  for (int i = 0; i < 300; ++i) {
    const int c = i % 3 == 2 ? 3 : i % 3;  // categories 0, 1 and 3; 2 has no points
    x.push_back(std::cos(i * 0.7) * (1 + c));
    y.push_back(std::sin(i * 1.3) * (1 + c));
    category.push_back(c);
  }
  x.push_back(NAN), y.push_back(0.0), category.push_back(1);  // skipped, not an error
  const std::vector<std::string> names = {"zero", "one", "two", "three"};
  WriteScatter(path, "codes", "z0", "z1", x, y, category, names);
  const DecodedPng png(path);
  ASSERT_TRUE(png.ok()) << stbi_failure_reason();
  ASSERT_EQ(png.width, 640);
  ASSERT_EQ(png.height, 480);
  auto count = [&](Rgb c) { return png.Count(c); };
  EXPECT_GT(count(PaletteColor(0)), 300);
  EXPECT_GT(count(PaletteColor(1)), 300);
  EXPECT_GT(count(PaletteColor(3)), 300);
  EXPECT_GT(count(PaletteColor(2)), 0);   // its legend dot
  EXPECT_LT(count(PaletteColor(2)), 100);
}

TEST(PlotCharts, PaletteHasTenDistinctColoursAndWrapsAround) {
  std::set<std::tuple<int, int, int>> colors;
  for (int i = 0; i < kPaletteSize; ++i) {
    const Rgb c = PaletteColor(i);
    colors.insert({c.r, c.g, c.b});
    EXPECT_NE(c, kWhite);
  }
  EXPECT_EQ(colors.size(), 10u);
  EXPECT_EQ(PaletteColor(13), PaletteColor(3));
  EXPECT_EQ(PaletteColor(-1), PaletteColor(9));
}

TEST(PlotCharts, BadInputThrowsSayingWhatWasExpectedAndFound) {
  const Series good = Ramp("train", kBlue, 1);
  Series ragged = good;
  ragged.y.pop_back();
  ExpectErrorContaining([] { DrawLineChart("t", "x", "y", {}); },
                        {"at least one series", "found none"});
  ExpectErrorContaining([&] { DrawLineChart("t", "x", "y", {good, ragged}); },
                        {"series 'train'", "as many x values as y values", "21 x and 20 y"});
  ExpectErrorContaining([] { DrawLineChart("t", "x", "y", {Series{"e", {}, {}, kBlue}}); },
                        {"series 'e'", "at least one point"});
  ChartOptions o;
  o.x_min = 2, o.x_max = 1;
  ExpectErrorContaining([&] { DrawLineChart("t", "x", "y", {good}, o); },
                        {"x_min < x_max", "x_min=2", "x_max=1"});
  o = {};
  o.log_y = true, o.y_min = 0.0;
  ExpectErrorContaining([&] { DrawLineChart("t", "x", "y", {good}, o); },
                        {"y_min > 0 on a log axis", "found 0"});
  o = {};
  o.log_y = true, o.diagonal = true;
  ExpectErrorContaining([&] { DrawLineChart("t", "x", "y", {good}, o); }, {"linear y axis"});
  o = {};
  o.width = 100;
  ExpectErrorContaining([&] { DrawLineChart("t", "x", "y", {good}, o); }, {"found 100 x 480"});

  const std::vector<double> xs = {1, 2, 3}, ys = {1, 2, 3};
  const std::vector<std::string> names = {"a", "b"};
  ExpectErrorContaining([&] { DrawScatter("t", "x", "y", xs, {1, 2}, {0, 1, 0}, names); },
                        {"as many x values, y values and categories", "found 3, 2 and 3"});
  ExpectErrorContaining([&] { DrawScatter("t", "x", "y", xs, ys, {0, 1, 2}, names); },
                        {"point 2", "category in [0, 2)", "found 2"});
  ExpectErrorContaining([&] { DrawScatter("t", "x", "y", {}, {}, {}, names); },
                        {"at least one point"});
  const std::vector<std::string> eleven(11, "n");
  ExpectErrorContaining([&] { DrawScatter("t", "x", "y", xs, ys, {0, 1, 0}, eleven); },
                        {"between 1 and 10 category names", "found 11"});

  // Write* name the file, whether drawing or writing fails, and leave nothing behind.
  latent::testing::ScratchDir scratch("plot_errors");
  const std::string path = scratch.Path("bad.png");
  ExpectErrorContaining([&] { WriteLineChart(path, "t", "x", "y", {ragged}); },
                        {"'" + path + "'", "21 x and 20 y"});
  ExpectErrorContaining([&] { WriteScatter(path, "t", "x", "y", xs, ys, {0, 5, 0}, names); },
                        {"'" + path + "'", "found 5"});
  EXPECT_FALSE(std::filesystem::exists(path));
  const std::string missing = scratch.Path("no/dir/chart.png");
  ExpectErrorContaining([&] { WriteLineChart(missing, "t", "x", "y", {good}); }, {missing});
}

}  // namespace
}  // namespace latent

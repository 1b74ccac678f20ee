#include "core/io/image.h"

#include <gtest/gtest.h>
#include <stb_image.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/test_util.h"

namespace latent {
namespace {

constexpr int64_t kH = 4;  // tile height
constexpr int64_t kW = 5;  // tile width

// A PNG decoded by stb_image: width, height, channels and row-major bytes.
struct Decoded {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<unsigned char> pixels;
};

Decoded Load(const std::string& path) {
  Decoded image;
  unsigned char* data = stbi_load(path.c_str(), &image.width, &image.height, &image.channels, 0);
  EXPECT_NE(data, nullptr) << "stb_image cannot decode " << path << ": " << stbi_failure_reason();
  if (data == nullptr) return image;
  const size_t size = static_cast<size_t>(image.width) * image.height * image.channels;
  image.pixels.assign(data, data + size);
  stbi_image_free(data);
  return image;
}

class ImageTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

  latent::testing::ScratchDir scratch_{"image_test"};
  const std::string dir_ = scratch_.dir();
};

// Three 4 x 5 tiles: a flat 0.2; 0.25 with out-of-range values and a NaN in its first row;
// a flat 0.75. Values chosen so that v * 255 is not near a rounding boundary.
std::vector<float> ThreeTiles() {
  std::vector<float> images(3 * kH * kW);
  for (int64_t i = 0; i < kH * kW; ++i) {
    images[i] = 0.2f;
    images[kH * kW + i] = 0.25f;
    images[2 * kH * kW + i] = 0.75f;
  }
  images[kH * kW + 0] = -0.5f;
  images[kH * kW + 1] = 1.7f;
  images[kH * kW + 2] = std::nanf("");
  return images;
}

TEST_F(ImageTest, WritesAGridWithPaddingAndClampedValues) {
  const std::string path = Path("grid.png");
  const std::vector<float> images = ThreeTiles();
  WriteImageGrid(path, images.data(), 3, kH, kW, /*cols=*/2, /*pad=*/2);

  const Decoded png = Load(path);
  ASSERT_EQ(png.channels, 1);
  ASSERT_EQ(png.width, 2 * 5 + 2);
  ASSERT_EQ(png.height, 2 * 4 + 2);
  // Expected bytes by hand: A = 0.2 * 255 = 51, Q = round(0.25 * 255) = 64,
  // C = round(0.75 * 255) = 191, G = padding gray 128; -0.5 and NaN give 0, 1.7 gives 255.
  constexpr unsigned char A = 51, Q = 64, C = 191, G = 128;
  const std::vector<unsigned char> expected = {
      A, A, A, A, A, G, G, 0, 255, 0, Q, Q,  //
      A, A, A, A, A, G, G, Q, Q,   Q, Q, Q,  //
      A, A, A, A, A, G, G, Q, Q,   Q, Q, Q,  //
      A, A, A, A, A, G, G, Q, Q,   Q, Q, Q,  //
      G, G, G, G, G, G, G, G, G,   G, G, G,  // padding rows
      G, G, G, G, G, G, G, G, G,   G, G, G,  //
      C, C, C, C, C, G, G, G, G,   G, G, G,  // the empty fourth cell is gray
      C, C, C, C, C, G, G, G, G,   G, G, G,  //
      C, C, C, C, C, G, G, G, G,   G, G, G,  //
      C, C, C, C, C, G, G, G, G,   G, G, G,  //
  };
  EXPECT_EQ(png.pixels, expected);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(ImageTest, UsesNoMoreColumnsThanImagesAndHonoursZeroPadding) {
  const std::vector<float> images = ThreeTiles();
  const std::string wide = Path("wide.png");
  WriteImageGrid(wide, images.data(), 3, kH, kW, /*cols=*/8, /*pad=*/1);
  const Decoded one_row = Load(wide);
  EXPECT_EQ(one_row.width, 3 * 5 + 2 * 1);
  EXPECT_EQ(one_row.height, 4);

  const std::string tight = Path("tight.png");
  WriteImageGrid(tight, images.data(), 3, kH, kW, /*cols=*/1, /*pad=*/0);
  const Decoded column = Load(tight);
  ASSERT_EQ(column.width, 5);
  ASSERT_EQ(column.height, 3 * 4);
  EXPECT_EQ(column.pixels[3 * 5 + 4], 51);   // last pixel of the first tile
  EXPECT_EQ(column.pixels[4 * 5 + 0], 0);    // first pixel of the second: -0.5 clamped
  EXPECT_EQ(column.pixels[8 * 5 + 0], 191);  // first pixel of the third
}

TEST_F(ImageTest, BadArgumentsAndUnwritablePathsThrowNamingTheFile) {
  const std::vector<float> images = ThreeTiles();
  auto expect_error = [&](const std::string& path, int64_t n, int64_t cols, int64_t pad,
                          const std::string& part) {
    try {
      WriteImageGrid(path, images.data(), n, kH, kW, cols, pad);
      ADD_FAILURE() << "expected latent::Error, nothing was thrown";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
      EXPECT_NE(message.find(part), std::string::npos) << "lacks \"" << part << "\": " << message;
    }
    EXPECT_FALSE(std::filesystem::exists(path));
  };
  expect_error(Path("none.png"), 0, 2, 2, "found n=0");
  expect_error(Path("cols.png"), 3, 0, 2, "cols=0");
  expect_error(Path("pad.png"), 3, 2, -1, "pad=-1");
  expect_error(Path("missing/dir/grid.png"), 3, 2, 2, "No such file or directory");
}

}  // namespace
}  // namespace latent

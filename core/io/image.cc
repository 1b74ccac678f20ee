#include "core/io/image.h"

#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.h"
#include "core/io/file_util.h"

namespace latent {
namespace {

constexpr unsigned char kPadGray = 128;
// stb_image_write takes int sizes; a side of 2^15 pixels is far beyond any grid we draw, and
// bounding the inputs by it keeps every size computation below far from int64 overflow.
constexpr int64_t kMaxSide = int64_t{1} << 15;

// stb's output callback: collects the encoded PNG in a std::string.
void AppendToString(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

}  // namespace

void WritePng(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height,
              int channels, const std::string& what) {
  LATENT_CHECK(width >= 1 && height >= 1 && width <= kMaxSide && height <= kMaxSide &&
                   (channels == 1 || channels == 3),
               "cannot write ", what, " '", path, "': expected 1 to ", kMaxSide,
               " pixels a side and 1 or 3 channels, found ", width, " x ", height, " x ",
               channels);
  std::string png;
  const int w = static_cast<int>(width);
  const int ok = stbi_write_png_to_func(AppendToString, &png, w, static_cast<int>(height),
                                        channels, pixels, /*stride_in_bytes=*/w * channels);
  LATENT_CHECK(ok != 0, "cannot write ", what, " '", path, "': stb_image_write could not encode ",
               "the ", width, " x ", height, " PNG");
  WriteFileAtomic(path, {png});
}

uint8_t GrayToByte(float v) {
  // Written so that NaN fails the first test and draws black; casting NaN would be undefined.
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround(v * 255.0f));
}

void WriteImageGrid(const std::string& path, const float* images, int64_t n, int64_t h, int64_t w,
                    int64_t cols, int64_t pad) {
  LATENT_CHECK(images != nullptr, "cannot write image grid '", path, "': expected pixel data, ",
               "found a null pointer");
  LATENT_CHECK(n > 0 && h > 0 && w > 0 && cols > 0 && pad >= 0, "cannot write image grid '",
               path, "': expected n, h, w, cols > 0 and pad >= 0, found n=", n, " h=", h,
               " w=", w, " cols=", cols, " pad=", pad);
  LATENT_CHECK(n <= kMaxSide * kMaxSide && h <= kMaxSide && w <= kMaxSide && pad <= kMaxSide,
               "cannot write image grid '", path, "': expected n <= 2^30 and h, w, pad <= ",
               kMaxSide, ", found n=", n, " h=", h, " w=", w, " pad=", pad);
  const int64_t grid_cols = std::min(cols, n);
  const int64_t grid_rows = (n + grid_cols - 1) / grid_cols;
  const int64_t width = grid_cols * (w + pad) - pad;
  const int64_t height = grid_rows * (h + pad) - pad;
  LATENT_CHECK(width <= kMaxSide && height <= kMaxSide, "cannot write image grid '", path,
               "': expected at most ", kMaxSide, " x ", kMaxSide, " pixels, found ", width, " x ",
               height, " (", grid_cols, " columns, ", grid_rows, " rows)");

  // pixels: (height, width); everything not covered by a tile stays padding gray.
  std::vector<unsigned char> pixels(static_cast<size_t>(width * height), kPadGray);
  for (int64_t i = 0; i < n; ++i) {
    const float* image = images + i * h * w;  // image: (h, w)
    const int64_t top = (i / grid_cols) * (h + pad);
    const int64_t left = (i % grid_cols) * (w + pad);
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t x = 0; x < w; ++x) {
        pixels[static_cast<size_t>((top + y) * width + left + x)] = GrayToByte(image[y * w + x]);
      }
    }
  }

  WritePng(path, pixels.data(), width, height, /*channels=*/1, "image grid");
}

}  // namespace latent

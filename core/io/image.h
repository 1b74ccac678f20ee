// PNG output for reconstructions, samples and latent-space sweeps, and the one rule by which a
// grayscale value in [0, 1] becomes a byte (shared with Canvas::Blit in tools/plot/canvas.h, so a
// digit reads the same in a grid and in a figure).
#pragma once

#include <cstdint>
#include <string>

namespace latent {

// The byte a gray value is drawn as: v * 255 rounded half up (0.5 gives 128) for v in (0, 1),
// 0 for v <= 0, 255 for v >= 1, and 0 (black) for NaN, which a plain cast would leave undefined.
uint8_t GrayToByte(float v);

// Encodes `pixels` (height rows of width * channels bytes: 1 gray, 3 RGB) as a PNG and writes it
// atomically like WriteFileAtomic. `what` names the picture in errors ("image grid", "plot").
// Sides are at most 2^15. Throws latent::Error naming the file if it cannot be encoded or written.
void WritePng(const std::string& path, const uint8_t* pixels, int64_t width, int64_t height,
              int channels, const std::string& what);

// Writes n grayscale images as one PNG grid, row by row. images: (n, h, w), row-major, values in
// [0, 1] (clamped; NaN draws black). The grid has min(cols, n) columns, like torchvision's
// make_grid, and `pad` pixels of mid gray (128) between tiles; empty cells in the last row are
// gray too. Atomic like WriteFileAtomic. Throws latent::Error naming the file if a size is out of
// range or the file cannot be written.
void WriteImageGrid(const std::string& path, const float* images, int64_t n, int64_t h, int64_t w,
                    int64_t cols, int64_t pad = 2);

}  // namespace latent

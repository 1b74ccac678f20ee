// Optimized f32 conv for the CPU (kernels/conv.h, the ...Im2colCpu functions): each conv becomes
// one GEMM on kernels::GemmCpu, the packed, blocked SIMD kernel, by laying the patches out as a
// matrix. Tested against the direct loops of kernels/cpu/conv.cc (tests/conv_test.cc).
//
// B batch, C input channels, K output channels, H x W input, OH x OW output, KH x KW kernel,
// s stride, p padding; CKK = C KH KW (one patch), P = OH OW (one output image). The batch is
// processed in chunks of n images, n chosen so a chunk's column matrix stays near a budget (below):
//   col: (CKK, n P)   col[(c, kh, kw), (b, oh, ow)] = x[b, c, oh s - p + kh, ow s - p + kw] or 0
//   forward:         y'  (K, n P)   = w (K, CKK) col                y = y' reordered to (n, K, P)
//   backward-input:  col (CKK, n P) = w^T dy'                       dx = col2im(col)
//   backward-weight: dw (K, CKK)   += dy' (K, n P) col^T            (chunk after chunk)
// where dy' is dy reordered from (n, K, P) to (K, n P). Laying all n images side by side makes the
// GEMM wide (n P columns) instead of running B small GEMMs of P columns: GemmCpu splits wide
// GEMMs across threads, and its panels then have few ragged edges.
//
// Determinism: GemmCpu never splits the depth of a product across threads; dw sums the chunks
// in order; im2col, col2im and the reorders write each element from one thread in a fixed order.
// So the result is the same for any thread count.
#include <algorithm>
#include <cstddef>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/conv.h"
#include "kernels/gemm.h"

namespace latent::kernels {
namespace {

// Floats of column matrix per chunk of images: 4 Mi (16 MiB). The MNIST conv layers at batch 128
// fit in one chunk (the largest, 32 -> 64 channels with 4 x 4 kernels on 7 x 7 outputs, needs
// 3.2 Mi), while a large evaluation batch does not ask for gigabytes.
constexpr int64_t kChunkFloats = int64_t{1} << 22;
// On one thread the forward and the input gradient take chunks of 128 Ki floats (512 KiB)
// instead. im2col and col2im only move data, so their time is the column matrix's trip through
// memory; a chunk this small is written into the core's L2 and read back from there by the GEMM,
// where a whole batch's 12.8 MB streams through L3 twice (a third of a 1-thread conv-vae step).
// With more threads the whole batch stays one chunk: the narrower GEMMs of small chunks split
// worse across threads, and the 2-thread conv-vae step measured about 5% slower with them.
// Either way the results are the same: each output column is its own sum. The weight gradient
// sums over every image, chunk after chunk and, inside a chunk, in the GEMM's depth blocks, so
// where its chunks split would change its rounding: it always takes kChunkFloats.
constexpr int64_t kSingleThreadChunkFloats = int64_t{1} << 17;

// Below this many elements moved, waking the thread team costs about as much as the copy.
constexpr int64_t kParallelMin = int64_t{1} << 16;

int64_t ImagesPerChunk(const ConvShape& s, int64_t budget) {
  const int64_t per_image = s.in_channels * s.kernel_h * s.kernel_w * s.out_h * s.out_w;
  return std::clamp<int64_t>(budget / std::max<int64_t>(per_image, 1), 1,
                             std::max<int64_t>(s.batch, 1));
}

// The forward's and the input gradient's budget (see kSingleThreadChunkFloats).
int64_t ColumnsChunkFloats() {
#ifdef _OPENMP
  if (omp_get_max_threads() > 1) return kChunkFloats;
#endif
  return kSingleThreadChunkFloats;
}

// Per-thread scratch floats kept from call to call (slot 0: the column matrix, slot 1: the channel
// rows): a training step convolving the same shapes every iteration reuses the same pages instead
// of faulting in fresh ones.
float* Scratch(int slot, int64_t n) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[slot];
  if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

// The output positions o in [0, out) whose tap k reads inside the input, 0 <= o s - p + k < in,
// as a range [lo, hi): the loops below then run without a bounds check per element.
struct Inside {
  int64_t lo, hi;
};
Inside InsideRange(int64_t out, int64_t in, int64_t k, int64_t stride, int64_t padding) {
  const int64_t lo = std::min(out, padding > k ? (padding - k + stride - 1) / stride : 0);
  const int64_t last = in - 1 + padding - k;  // o s <= last
  const int64_t hi = last < 0 ? 0 : std::min(out, last / stride + 1);
  return {lo, std::max(lo, hi)};
}

// col: (CKK, n P) from x: (n, C, H, W). One thread per row of col (a (c, kh, kw) tap), which it
// writes left to right: zeros where the tap reads padding, x elsewhere.
void Im2col(const ConvShape& s, int64_t n, const float* x, float* col) {
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w, cols = n * OH * OW;
#pragma omp parallel for schedule(static) if (C * KH * KW * cols >= kParallelMin)
  for (int64_t r = 0; r < C * KH * KW; ++r) {
    const int64_t c = r / (KH * KW), kh = r / KW % KH, kw = r % KW;
    const Inside rows = InsideRange(OH, H, kh, s.stride, s.padding);
    const Inside cs = InsideRange(OW, W, kw, s.stride, s.padding);
    for (int64_t b = 0; b < n; ++b) {
      const float* plane = x + (b * C + c) * H * W;  // (H, W)
      for (int64_t oh = 0; oh < OH; ++oh) {
        float* out = col + r * cols + (b * OH + oh) * OW;  // (OW)
        if (oh < rows.lo || oh >= rows.hi) {
          std::fill(out, out + OW, 0.0f);  // a padding row
          continue;
        }
        const float* in = plane + (oh * s.stride - s.padding + kh) * W;  // (W)
        std::fill(out, out + cs.lo, 0.0f);
        for (int64_t ow = cs.lo; ow < cs.hi; ++ow) out[ow] = in[ow * s.stride - s.padding + kw];
        std::fill(out + cs.hi, out + OW, 0.0f);
      }
    }
  }
}

// dx: (n, C, H, W) = bias[c] (or 0) + the col2im of col: (CKK, n P), the adjoint of Im2col: every
// col element is added to the input pixel Im2col read it from. One thread per (b, c) plane
// scatters into it tap after tap; a pixel gets at most one term per (kh, kw) tap, so it sums the
// bias, then its terms in (kh, kw) order: a fixed order, whatever the thread count.
void Col2im(const ConvShape& s, int64_t n, const float* col, const float* bias, float* dx) {
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w, cols = n * OH * OW;
#pragma omp parallel for collapse(2) schedule(static) if (C * KH * KW * cols >= kParallelMin)
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      float* plane = dx + (b * C + c) * H * W;  // (H, W)
      std::fill(plane, plane + H * W, bias != nullptr ? bias[c] : 0.0f);
      for (int64_t kh = 0; kh < KH; ++kh) {
        // Taps that read padding have nothing to give back: only the inside ranges are visited.
        const Inside rows = InsideRange(OH, H, kh, s.stride, s.padding);
        for (int64_t kw = 0; kw < KW; ++kw) {
          const Inside cs = InsideRange(OW, W, kw, s.stride, s.padding);
          const float* src = col + ((c * KH + kh) * KW + kw) * cols + b * OH * OW;  // (OH, OW)
          for (int64_t oh = rows.lo; oh < rows.hi; ++oh) {
            float* out = plane + (oh * s.stride - s.padding + kh) * W;  // (W)
            for (int64_t ow = cs.lo; ow < cs.hi; ++ow)
              out[ow * s.stride - s.padding + kw] += src[oh * OW + ow];
          }
        }
      }
    }
  }
}

// dst: (K, n P) from src: (n, K, P): each image's channel rows moved side by side.
void ToChannelRows(int64_t n, int64_t K, int64_t P, const float* src, float* dst) {
#pragma omp parallel for schedule(static) if (n * K * P >= kParallelMin)
  for (int64_t k = 0; k < K; ++k)
    for (int64_t b = 0; b < n; ++b)
      std::copy(src + (b * K + k) * P, src + (b * K + k + 1) * P, dst + k * n * P + b * P);
}

// dst: (n, K, P) = src: (K, n P) reordered, plus bias[k] when given.
void FromChannelRows(int64_t n, int64_t K, int64_t P, const float* src, const float* bias,
                     float* dst) {
#pragma omp parallel for schedule(static) if (n * K * P >= kParallelMin)
  for (int64_t k = 0; k < K; ++k) {
    const float add = bias != nullptr ? bias[k] : 0.0f;
    for (int64_t b = 0; b < n; ++b) {
      const float* in = src + k * n * P + b * P;  // (P)
      float* out = dst + (b * K + k) * P;         // (P)
      for (int64_t i = 0; i < P; ++i) out[i] = in[i] + add;
    }
  }
}

}  // namespace

void Conv2dForwardIm2colCpu(const ConvShape& s, const float* x, const float* w, const float* bias,
                            float* y) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s, ColumnsChunkFloats());
  float* col = Scratch(0, ckk * chunk * P);
  float* y_rows = Scratch(1, K * chunk * P);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    Im2col(s, n, x + b0 * s.in_channels * s.in_h * s.in_w, col);
    // y' (K, n P) = w (K, CKK) col (CKK, n P)
    GemmCpu(false, false, K, n * P, ckk, 1.0f, w, ckk, col, n * P, 0.0f, y_rows, n * P);
    FromChannelRows(n, K, P, y_rows, bias, y + b0 * K * P);
  }
}

void Conv2dBackwardInputIm2colCpu(const ConvShape& s, const float* dy, const float* w,
                                  const float* bias, float* dx) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s, ColumnsChunkFloats());
  float* col = Scratch(0, ckk * chunk * P);
  float* dy_rows = Scratch(1, K * chunk * P);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    ToChannelRows(n, K, P, dy + b0 * K * P, dy_rows);
    // col (CKK, n P) = w^T (CKK, K) dy' (K, n P);  w is stored (K, CKK)
    GemmCpu(true, false, ckk, n * P, K, 1.0f, w, ckk, dy_rows, n * P, 0.0f, col, n * P);
    Col2im(s, n, col, bias, dx + b0 * s.in_channels * s.in_h * s.in_w);
  }
}

void Conv2dBackwardWeightIm2colCpu(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s, kChunkFloats);
  if (s.batch == 0) {  // an empty sum; the loop below would leave dw unwritten
    std::fill(dw, dw + K * ckk, 0.0f);
    return;
  }
  float* col = Scratch(0, ckk * chunk * P);
  float* dy_rows = Scratch(1, K * chunk * P);
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    Im2col(s, n, x + b0 * s.in_channels * s.in_h * s.in_w, col);
    ToChannelRows(n, K, P, dy + b0 * K * P, dy_rows);
    // dw (K, CKK) (+)= dy' (K, n P) col^T (n P, CKK): the first chunk writes, later ones add.
    GemmCpu(false, true, K, ckk, n * P, 1.0f, dy_rows, n * P, col, n * P,
            b0 == 0 ? 0.0f : 1.0f, dw, ckk);
  }
}

}  // namespace latent::kernels

// CUDA conv and transposed conv for kernels/conv.h (the ...Cuda functions). The direct loops of
// kernels/cpu/conv.cc are the specification; tests/conv_cuda_test.cc compares against them.
//
// B batch, C input channels, K output channels, H x W input, OH x OW output, KH x KW kernel,
// s stride, p padding; CKK = C KH KW (one patch), P = OH OW (one output image).
//
// Versions:
//   v1 (default, the only one so far) im2col + our SGEMM. The batch goes in chunks of n images
//      (the column matrix of a chunk stays under kColBudget floats); per chunk:
//        forward:         col = im2col(x);  y' (K, n P) = w (K, CKK) col;  y = reorder(y') + bias
//        backward-input:  dy' = reorder(dy);  col = w^T dy';  dx = col2im(col) + bias
//        backward-weight: col = im2col(x);  dy' = reorder(dy);  dw (+)= dy' col^T
//      with kernels::GemmCuda (kernels/cuda/gemm.cu, not cuBLAS) on the tensor's stream, and
//      y' / dy' the (K, n P) "channel rows" layout that makes each conv a single wide GEMM.
//      Im2col and the reorders are pure copies over 2-D blocks, coalesced along a row. Col2im
//      gathers: one thread per input pixel adds its taps in (kh, kw) order, so there are no
//      atomics and the result is bitwise the same every run. dw sums chunks in order (beta = 1).
//      measured speed: not yet measured on a GPU. To be measured against an implicit GEMM
//      (patches formed on the fly in the GEMM's shared-memory loads, no column matrix in memory),
//      keeping the faster; that version does not exist yet.
//      Known weak spot to measure first: backward-weight is a GEMM with a small (K, CKK) output
//      and a long depth (n P), which gives our SGEMM few blocks (e.g. 32 x 16 for the first
//      MNIST layer: one block); a deterministic split-K (per-chunk partials, then a fixed-order
//      sum) is the likely fix.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/conv.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/scratch.cuh"
#include "kernels/gemm.h"

namespace latent::kernels {
namespace {

using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;
using cuda_detail::Scratch;

// 32 Mi floats (128 MiB) of column matrix per chunk: every MNIST layer at batch 128 is one chunk
// (the largest needs 3.2 Mi floats), and an evaluation batch of 10000 images is a few.
constexpr int64_t kColBudget = int64_t{1} << 25;

int64_t ImagesPerChunk(const ConvShape& s) {
  const int64_t per_image = s.in_channels * s.kernel_h * s.kernel_w * s.out_h * s.out_w;
  return std::clamp<int64_t>(kColBudget / std::max<int64_t>(per_image, 1), 1,
                             std::max<int64_t>(s.batch, 1));
}


__global__ void Im2colKernel(ConvShape s, int64_t n, const float* x, float* col) {
  // x: (n, C, H, W), col: (CKK, n P). Row r of col is the tap (c, kh, kw); column j the output
  // pixel (b, oh, ow). Neighbouring threads take neighbouring j: coalesced stores.
  const int64_t KH = s.kernel_h, KW = s.kernel_w, OH = s.out_h, OW = s.out_w;
  const int64_t rows = s.in_channels * KH * KW, cols = n * OH * OW;
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t j) {
    const int64_t c = r / (KH * KW), kh = r / KW % KH, kw = r % KW;
    const int64_t b = j / (OH * OW), oh = j / OW % OH, ow = j % OW;
    const int64_t ih = oh * s.stride - s.padding + kh, iw = ow * s.stride - s.padding + kw;
    const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
    col[r * cols + j] = inside ? x[((b * s.in_channels + c) * s.in_h + ih) * s.in_w + iw] : 0.0f;
  });
}

__global__ void Col2imKernel(ConvShape s, int64_t n, const float* col, const float* bias,
                             float* dx) {
  // col: (CKK, n P), bias: (C) or null, dx: (n, C, H, W). One thread per input pixel (row b C + c,
  // column ih W + iw) gathers what Im2col copied out of it: tap (kh, kw) read it for output pixel
  // oh = (ih + p - kh) / s when that divides evenly and lands in [0, OH) (columns alike).
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w, cols = n * OH * OW;
  ForEachElement2d(n * C, H * W, [&](int64_t bc, int64_t q) {
    const int64_t b = bc / C, c = bc % C, ih = q / W, iw = q % W;
    float acc = bias != nullptr ? bias[c] : 0.0f;
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t th = ih + s.padding - kh;  // = oh s
      if (th < 0 || th % s.stride != 0 || th / s.stride >= OH) continue;
      const int64_t oh = th / s.stride;
      for (int64_t kw = 0; kw < KW; ++kw) {
        const int64_t tw = iw + s.padding - kw;  // = ow s
        if (tw < 0 || tw % s.stride != 0 || tw / s.stride >= OW) continue;
        const int64_t ow = tw / s.stride;
        acc += col[((c * KH + kh) * KW + kw) * cols + (b * OH + oh) * OW + ow];
      }
    }
    dx[bc * H * W + q] = acc;  // `=`: every pixel is written, padding-only ones with the bias
  });
}

__global__ void ToChannelRowsKernel(int64_t n, int64_t K, int64_t P, const float* src, float* dst) {
  // src: (n, K, P) -> dst: (K, n P). One 2-D row per (b, k) plane: reads and writes both run
  // along P.
  ForEachElement2d(n * K, P, [&](int64_t bk, int64_t i) {
    const int64_t b = bk / K, k = bk % K;
    dst[(k * n + b) * P + i] = src[bk * P + i];
  });
}

__global__ void FromChannelRowsKernel(int64_t n, int64_t K, int64_t P, const float* src,
                                      const float* bias, float* dst) {
  // src: (K, n P) -> dst: (n, K, P), plus bias[k] when given.
  ForEachElement2d(n * K, P, [&](int64_t bk, int64_t i) {
    const int64_t b = bk / K, k = bk % K;
    dst[bk * P + i] = src[(k * n + b) * P + i] + (bias != nullptr ? bias[k] : 0.0f);
  });
}

void Im2col(const ConvShape& s, int64_t n, const float* x, float* col) {
  const int64_t rows = s.in_channels * s.kernel_h * s.kernel_w, cols = n * s.out_h * s.out_w;
  LaunchKernel("Im2colKernel", Im2colKernel, ElementGrid(rows, cols), ElementBlock(), s, n, x, col);
}

void Col2im(const ConvShape& s, int64_t n, const float* col, const float* bias, float* dx) {
  const int64_t rows = n * s.in_channels, cols = s.in_h * s.in_w;
  LaunchKernel("Col2imKernel", Col2imKernel, ElementGrid(rows, cols), ElementBlock(), s, n, col,
               bias, dx);
}

void ToChannelRows(int64_t n, int64_t K, int64_t P, const float* src, float* dst) {
  LaunchKernel("ToChannelRowsKernel", ToChannelRowsKernel, ElementGrid(n * K, P), ElementBlock(), n,
               K, P, src, dst);
}

void FromChannelRows(int64_t n, int64_t K, int64_t P, const float* src, const float* bias,
                     float* dst) {
  LaunchKernel("FromChannelRowsKernel", FromChannelRowsKernel, ElementGrid(n * K, P),
               ElementBlock(), n, K, P, src, bias, dst);
}

// Sizes every launcher relies on; the op (core/ops_conv.cc) has already checked them against the
// tensors, this guards direct callers.
void CheckShape(const char* fn, const ConvShape& s) {
  LATENT_CHECK(s.batch >= 0 && s.in_channels > 0 && s.out_channels > 0 && s.kernel_h > 0 &&
                   s.kernel_w > 0 && s.in_h > 0 && s.in_w > 0 && s.out_h > 0 && s.out_w > 0 &&
                   s.stride > 0 && s.padding >= 0,
               fn, ": expected positive sizes and stride and padding >= 0, found B = ", s.batch,
               ", C = ", s.in_channels, ", K = ", s.out_channels, ", kernel ", s.kernel_h, "x",
               s.kernel_w, ", input ", s.in_h, "x", s.in_w, ", output ", s.out_h, "x", s.out_w,
               ", stride ", s.stride, ", padding ", s.padding);
}

}  // namespace

void Conv2dForwardCuda(const ConvShape& s, const float* x, const float* w, const float* bias,
                       float* y) {
  CheckShape("Conv2dForwardCuda", s);
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s);
  if (s.batch == 0) return;
  Scratch col_memory(sizeof(float) * ckk * chunk * P), rows_memory(sizeof(float) * K * chunk * P);
  float *col = col_memory.as<float>(), *y_rows = rows_memory.as<float>();
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    Im2col(s, n, x + b0 * s.in_channels * s.in_h * s.in_w, col);
    // y' (K, n P) = w (K, CKK) col (CKK, n P)
    GemmCuda(false, false, K, n * P, ckk, 1.0f, w, ckk, col, n * P, 0.0f, y_rows,
             n * P);
    FromChannelRows(n, K, P, y_rows, bias, y + b0 * K * P);
  }
}

void Conv2dBackwardInputCuda(const ConvShape& s, const float* dy, const float* w, const float* bias,
                             float* dx) {
  CheckShape("Conv2dBackwardInputCuda", s);
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s);
  if (s.batch == 0) return;
  Scratch col_memory(sizeof(float) * ckk * chunk * P), rows_memory(sizeof(float) * K * chunk * P);
  float *col = col_memory.as<float>(), *dy_rows = rows_memory.as<float>();
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    ToChannelRows(n, K, P, dy + b0 * K * P, dy_rows);
    // col (CKK, n P) = w^T (CKK, K) dy' (K, n P);  w is stored (K, CKK)
    GemmCuda(true, false, ckk, n * P, K, 1.0f, w, ckk, dy_rows, n * P, 0.0f, col,
             n * P);
    Col2im(s, n, col, bias, dx + b0 * s.in_channels * s.in_h * s.in_w);
  }
}

void Conv2dBackwardWeightCuda(const ConvShape& s, const float* x, const float* dy, float* dw) {
  CheckShape("Conv2dBackwardWeightCuda", s);
  const int64_t ckk = s.in_channels * s.kernel_h * s.kernel_w, P = s.out_h * s.out_w;
  const int64_t K = s.out_channels, chunk = ImagesPerChunk(s);
  if (s.batch == 0) {  // an empty sum; the loop below would leave dw unwritten
    LATENT_CUDA_CHECK(
        cudaMemsetAsync(dw, 0, sizeof(float) * static_cast<size_t>(K * ckk), CurrentCudaStream()));
    return;
  }
  Scratch col_memory(sizeof(float) * ckk * chunk * P), rows_memory(sizeof(float) * K * chunk * P);
  float *col = col_memory.as<float>(), *dy_rows = rows_memory.as<float>();
  for (int64_t b0 = 0; b0 < s.batch; b0 += chunk) {
    const int64_t n = std::min(chunk, s.batch - b0);
    Im2col(s, n, x + b0 * s.in_channels * s.in_h * s.in_w, col);
    ToChannelRows(n, K, P, dy + b0 * K * P, dy_rows);
    // dw (K, CKK) (+)= dy' (K, n P) col^T (n P, CKK): the first chunk writes, later ones add.
    GemmCuda(false, true, K, ckk, n * P, 1.0f, dy_rows, n * P, col, n * P,
             b0 == 0 ? 0.0f : 1.0f, dw, ckk);
  }
}

}  // namespace latent::kernels

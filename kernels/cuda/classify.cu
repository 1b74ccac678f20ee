// CUDA kernels for kernels/classify.h: softmax cross-entropy per row and one-hot codes. Float
// only; kernels/cpu/classify.cc is the specification, and both call the formulas of
// kernels/classify.h.
//
// B: rows (examples), C: classes (10 for MNIST, so a row fits one warp's strided loop).
//
// Versions:
//   cross-entropy v1: one warp per row; the row max and the sum of exp(x - max) are warp
//      reductions in a fixed shuffle order (double accumulation like the CPU), so results are
//      bitwise reproducible. measured speed: not yet measured (no GPU)
//   one-hot v1: the 2-D element loop. measured speed: not yet measured (no GPU)
#include <cstdint>

#include "kernels/classify.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"

namespace latent::kernels {
namespace {

using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;
using cuda_detail::RowBlocks;
using cuda_detail::WarpSum;

constexpr int kWarpsPerBlock = 8;

// The row's max, then log(sum_c exp(x_c - max)); every lane gets both.
__device__ void RowLogSumExp(int64_t C, const float* x, int lane, double* max_out,
                             double* log_sum_out) {
  double m = -INFINITY;
  for (int64_t c = lane; c < C; c += 32) m = fmax(m, static_cast<double>(x[c]));
  for (int offset = 16; offset > 0; offset /= 2)
    m = fmax(m, __shfl_xor_sync(0xffffffffu, m, offset));
  double sum = 0.0;
  for (int64_t c = lane; c < C; c += 32) sum += ExpShifted(x[c], m);
  sum = __shfl_sync(0xffffffffu, WarpSum(sum), 0);  // lane 0 holds the total: share it
  *max_out = m;
  *log_sum_out = log(sum);
}

__global__ void CrossEntropyKernel(int64_t B, int64_t C, const float* logits, const int32_t* labels,
                                   const float* dout, float* out, float* dlogits) {
  // logits: (B, C), labels: (B). Forward (dout null): out (B). Backward: dlogits (B, C).
  const int lane = threadIdx.x % 32;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; b < B;
       b += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
    const float* x = logits + b * C;  // (C)
    double m, log_sum;
    RowLogSumExp(C, x, lane, &m, &log_sum);
    if (dout == nullptr) {
      if (lane == 0) out[b] = static_cast<float>(SoftmaxCrossEntropyOf(m, log_sum, x[labels[b]]));
    } else {
      for (int64_t c = lane; c < C; c += 32)
        dlogits[b * C + c] = SoftmaxCrossEntropyGrad(x[c], m, log_sum, c == labels[b], dout[b]);
    }
  }
}

__global__ void OneHotKernel(int64_t B, int64_t C, const int32_t* labels, float* out) {
  // labels: (B), out: (B, C)
  ForEachElement2d(B, C,
                   [&](int64_t b, int64_t c) { out[b * C + c] = c == labels[b] ? 1.0f : 0.0f; });
}

void LaunchCrossEntropy(int64_t B, int64_t C, const float* logits, const int32_t* labels,
                        const float* dout, float* out, float* dlogits) {
  if (B <= 0 || C <= 0) return;
  LaunchKernel("CrossEntropyKernel", CrossEntropyKernel, RowBlocks(B, kWarpsPerBlock),
               kWarpsPerBlock * 32, B, C, logits, labels, dout, out, dlogits);
}

}  // namespace

void SoftmaxCrossEntropyForwardCuda(int64_t B, int64_t C, const float* logits,
                                    const int32_t* labels, float* out) {
  LaunchCrossEntropy(B, C, logits, labels, nullptr, out, nullptr);
}

void SoftmaxCrossEntropyBackwardCuda(int64_t B, int64_t C, const float* logits,
                                     const int32_t* labels, const float* dout, float* dlogits) {
  LaunchCrossEntropy(B, C, logits, labels, dout, nullptr, dlogits);
}

void OneHotCuda(int64_t B, int64_t C, const int32_t* labels, float* out) {
  if (B <= 0 || C <= 0) return;
  LaunchKernel("OneHotKernel", OneHotKernel, ElementGrid(B, C), ElementBlock(), B, C, labels, out);
}

}  // namespace latent::kernels

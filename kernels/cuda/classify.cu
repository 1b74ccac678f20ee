// CUDA kernels for kernels/classify.h: softmax cross-entropy per row, the log-sum-exp of each
// row and one-hot codes. Float only; kernels/cpu/classify.cc is the specification, and both call
// the formulas of kernels/classify.h.
//
// B: rows (examples), C: classes (10 for MNIST, so a row fits one warp's strided loop).
// R: rows of a log-sum-exp, C: its columns (k importance samples, or K prior components).
//
// Versions:
//   cross-entropy v1: one warp per row; the row max and the sum of exp(x - max) are warp
//      reductions in a fixed shuffle order (double accumulation like the CPU), so results are
//      bitwise reproducible. measured speed: not yet measured (no GPU)
//   log-sum-exp v1: the cross-entropy's kernel without the label: one warp per row, the same
//      fixed-order warp reductions. measured speed: not yet measured (no GPU)
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

// The row's shift m (its max, LogSumExpShift), then log(sum_c exp(x_c - m)); every lane gets
// both.
__device__ void RowLogSumExp(int64_t C, const float* x, int lane, double* max_out,
                             double* log_sum_out) {
  double row_max = -INFINITY;
  for (int64_t c = lane; c < C; c += 32) row_max = fmax(row_max, static_cast<double>(x[c]));
  for (int offset = 16; offset > 0; offset /= 2)
    row_max = fmax(row_max, __shfl_xor_sync(0xffffffffu, row_max, offset));
  const double m = LogSumExpShift(row_max);
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

__global__ void LogSumExpKernel(int64_t R, int64_t C, const float* x, const float* dout,
                                float* out, float* dx) {
  // x: (R, C). Forward (dout null): out (R). Backward: dx (R, C).
  const int lane = threadIdx.x % 32;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; r < R;
       r += static_cast<int64_t>(gridDim.x) * kWarpsPerBlock) {
    const float* xr = x + r * C;  // (C)
    double m, log_sum;
    RowLogSumExp(C, xr, lane, &m, &log_sum);
    if (dout == nullptr) {
      if (lane == 0) out[r] = static_cast<float>(RowLogSumExpOf(m, log_sum));
    } else {
      for (int64_t c = lane; c < C; c += 32)
        dx[r * C + c] = RowLogSumExpGrad(xr[c], m, log_sum, dout[r]);
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

void LaunchLogSumExp(int64_t R, int64_t C, const float* x, const float* dout, float* out,
                     float* dx) {
  if (R <= 0 || C <= 0) return;
  LaunchKernel("LogSumExpKernel", LogSumExpKernel, RowBlocks(R, kWarpsPerBlock),
               kWarpsPerBlock * 32, R, C, x, dout, out, dx);
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

void RowLogSumExpForwardCuda(int64_t R, int64_t C, const float* x, float* out) {
  LaunchLogSumExp(R, C, x, nullptr, out, nullptr);
}

void RowLogSumExpBackwardCuda(int64_t R, int64_t C, const float* x, const float* dout, float* dx) {
  LaunchLogSumExp(R, C, x, dout, nullptr, dx);
}

void OneHotCuda(int64_t B, int64_t C, const int32_t* labels, float* out) {
  if (B <= 0 || C <= 0) return;
  LaunchKernel("OneHotKernel", OneHotKernel, ElementGrid(B, C), ElementBlock(), B, C, labels, out);
}

}  // namespace latent::kernels

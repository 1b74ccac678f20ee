// CUDA kernels for kernels/elementwise.h: activations forward/backward, binary arithmetic, axpby,
// fills, the broadcast of a scalar gradient, bias rows and dropout. Float only. The CPU twins in
// kernels/cpu/elementwise.cc are the specification; both call the formulas of
// kernels/elementwise.h (results may still differ by a few ulp: CUDA's expf/tanhf/log1pf are not
// glibc's, and nvcc contracts a * b + c into one FMA).
//
// n: number of elements; rows, cols: the shape of a row-major matrix.
//
// Versions:
//   v1 (default) grid-stride loops, one element per thread per iteration, 256 threads a block.
//      These kernels are memory-bound: the idea is only coalesced access and enough blocks in
//      flight. The op switch is inside the loop; it is uniform across the grid, so every warp
//      takes the same branch. measured speed: not yet measured (no GPU)
//   Dropout: grid-stride, one Philox uniform per element. measured speed: not yet measured
//   AddBiasRows: a 2-D block (32 columns x 8 rows) so that no thread divides a flat index by
//      cols to find its column. measured speed: not yet measured (no GPU)
#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/elementwise.h"
#include "kernels/error.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlocksFor;
using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;

__global__ void UnaryForwardKernel(Activation act, int64_t n, float alpha, const float* x,
                                   float* y) {
  // x, y: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = Activate(act, x[i], alpha);
}

__global__ void UnaryBackwardKernel(Activation act, int64_t n, float alpha, const float* x,
                                    const float* y, const float* dy, float* dx) {
  // x, y, dy, dx: (n). Each op reads only one of x, y; the other pointer is not dereferenced: the
  // kernel is memory-bound, and a load it does not need costs as much as one it does.
  const bool reads_y = ActivationGradReadsOutput(act);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const float xi = reads_y ? 0.0f : x[i];
    const float yi = reads_y ? y[i] : 0.0f;
    dx[i] = ActivationGrad(act, xi, yi, dy[i], alpha);
  }
}

__global__ void BinaryKernel(BinaryOp op, int64_t n, const float* a, const float* b, float* c) {
  // a, b, c: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    c[i] = BinaryOf(op, a[i], b[i]);
  }
}

__global__ void AxpbyKernel(int64_t n, float a, const float* x, float b, float* y) {
  // x, y: (n). With b == 0, y is never read: it may be uninitialized, and 0 * NaN is NaN. The
  // result is then a x + 0, as on the CPU: what y = +0 would give, -0 included.
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = b == 0.0f ? a * x[i] + 0.0f : a * x[i] + b * y[i];
}

template <typename T>
__global__ void FillKernel(int64_t n, T value, T* y) {
  // y: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = value;
}

__global__ void BroadcastScalarKernel(int64_t n, float scale, const float* s, float* y) {
  // s: (1), y: (n). Threads of other blocks may still be reading s[0] while this one writes, so s
  // must not lie inside y unless n == 1 (one thread, which reads before it writes).
  const float value = scale * s[0];
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = value;
}

__global__ void AddBiasRowsKernel(int64_t rows, int64_t cols, const float* bias, float* y) {
  // bias: (cols), y: (rows, cols). `+=`: y already holds x W. threadIdx.x runs along a row, so a
  // warp touches 32 consecutive floats of y and of bias.
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) { y[r * cols + c] += bias[c]; });
}

__global__ void DropoutKernel(int64_t n, float p, float scale, uint64_t seed, uint64_t offset,
                              const float* x, float* y) {
  // x, y: (n). The same uniform draw per element as DropoutCpu, so both devices drop the same
  // units and the backward pass (this kernel applied to dy) regenerates the forward's mask.
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = DropoutOf(x[i], p, scale, seed, offset, static_cast<uint64_t>(i));
}

}  // namespace

void UnaryForwardCuda(Activation act, int64_t n, float alpha, const float* x, float* y) {
  LATENT_CHECK(act < Activation::kCount, "UnaryForwardCuda: unknown op ", static_cast<int>(act));
  if (n <= 0) return;
  LaunchKernel("UnaryForwardKernel", UnaryForwardKernel, BlocksFor(n, kThreads), kThreads, act, n,
               alpha, x, y);
}

void UnaryBackwardCuda(Activation act, int64_t n, float alpha, const float* x, const float* y,
                       const float* dy, float* dx) {
  LATENT_CHECK(act < Activation::kCount, "UnaryBackwardCuda: unknown op ", static_cast<int>(act));
  if (n <= 0) return;
  LaunchKernel("UnaryBackwardKernel", UnaryBackwardKernel, BlocksFor(n, kThreads), kThreads, act, n,
               alpha, x, y, dy, dx);
}

void BinaryCuda(BinaryOp op, int64_t n, const float* a, const float* b, float* c) {
  LATENT_CHECK(op < BinaryOp::kCount, "BinaryCuda: unknown op ", static_cast<int>(op));
  if (n <= 0) return;
  LaunchKernel("BinaryKernel", BinaryKernel, BlocksFor(n, kThreads), kThreads, op, n, a, b, c);
}

void AxpbyCuda(int64_t n, float a, const float* x, float b, float* y) {
  if (n <= 0) return;
  LaunchKernel("AxpbyKernel", AxpbyKernel, BlocksFor(n, kThreads), kThreads, n, a, x, b, y);
}

void FillCuda(int64_t n, float value, float* y) {
  if (n <= 0) return;
  LaunchKernel("FillKernel<float>", FillKernel<float>, BlocksFor(n, kThreads), kThreads, n, value,
               y);
}

void FillCuda(int64_t n, int32_t value, int32_t* y) {
  if (n <= 0) return;
  LaunchKernel("FillKernel<int32_t>", FillKernel<int32_t>, BlocksFor(n, kThreads), kThreads, n,
               value, y);
}

void BroadcastScalarCuda(int64_t n, float scale, const float* s, float* y) {
  if (n <= 0) return;
  // s stays on the device: reading it here would stall the host on the stream.
  LaunchKernel("BroadcastScalarKernel", BroadcastScalarKernel, BlocksFor(n, kThreads), kThreads, n,
               scale, s, y);
}

void AddBiasRowsCuda(int64_t rows, int64_t cols, const float* bias, float* y) {
  if (rows <= 0 || cols <= 0) return;
  LaunchKernel("AddBiasRowsKernel", AddBiasRowsKernel, ElementGrid(rows, cols), ElementBlock(),
               rows, cols, bias, y);
}

void DropoutCuda(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y) {
  if (n <= 0) return;
  LaunchKernel("DropoutKernel", DropoutKernel, BlocksFor(n, kThreads), kThreads, n, p,
               DropoutScale(p), seed, offset, x, y);
}

}  // namespace latent::kernels

// CUDA kernels for kernels/loss.h: per-row BCE-with-logits and squared error, forward and
// backward. Float only; the CPU twins in kernels/cpu/loss.cc are the specification, and each
// per-element term here is the same formula in the same order.
//
// rows: examples in the batch; cols: features per example (784 for MNIST).
//
// Versions:
//   forward v1: one block of 256 threads per row; each thread adds its strided share of the
//      row's terms (computed in float, as the CPU computes them in T) into a double, then a fixed
//      tree (warp shuffles, then the 8 warp sums) adds the threads: no atomics, so the per-row
//      losses are bitwise identical run to run. measured speed: not yet measured (no GPU)
//   backward v1: elementwise over a 2-D block (32 columns x 8 rows), so that a thread knows its
//      row (for dout[r]) without dividing a flat index. measured speed: not yet measured (no GPU)
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/runtime.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/loss.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlockSum;
using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;
using cuda_detail::RowBlocks;
using cuda_detail::Sigmoid;

constexpr int kThreads = 256;

// The per-element terms, as the CPU writes them.
struct BceTerm {
  // max(x,0) - x t + log(1 + e^-|x|): log(1 - s(x)) would be log(0) once s(x) rounds to 1, and
  // e^x overflows for x > 88; e^-|x| does neither.
  __device__ float operator()(float x, float t) const {
    return (x > 0.0f ? x : 0.0f) - x * t + log1pf(expf(-fabsf(x)));
  }
};
struct MseTerm {
  __device__ float operator()(float a, float b) const {
    const float diff = a - b;
    return diff * diff;
  }
};

template <typename Term>
__global__ void __launch_bounds__(kThreads)
    RowLossKernel(int64_t rows, int64_t cols, const float* a, const float* b, float* out) {
  // a, b: (rows, cols), out: (rows). A block owns whole rows (one per iteration).
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* a_row = a + r * cols;  // (cols)
    const float* b_row = b + r * cols;  // (cols)
    double acc = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += kThreads) acc += Term()(a_row[c], b_row[c]);
    acc = BlockSum<kThreads>(acc);
    if (threadIdx.x == 0) out[r] = static_cast<float>(acc);
  }
}

__global__ void BceWithLogitsBackwardKernel(int64_t rows, int64_t cols, const float* x,
                                            const float* t, const float* dout, float* dx,
                                            float* dt) {
  // x, t, dx, dt: (rows, cols); dout: (rows). dl/dx = s(x) - t, dl/dt = -x.
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) {
    const int64_t i = r * cols + c;
    dx[i] = dout[r] * (Sigmoid(x[i]) - t[i]);
    if (dt != nullptr) dt[i] = -dout[r] * x[i];
  });
}

__global__ void MseBackwardKernel(int64_t rows, int64_t cols, const float* a, const float* b,
                                  const float* dout, float* da, float* db) {
  // a, b, da, db: (rows, cols); dout: (rows). dl/da = 2 (a - b) = -dl/db.
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) {
    const int64_t i = r * cols + c;
    const float grad_a = 2.0f * dout[r] * (a[i] - b[i]);
    if (da != nullptr) da[i] = grad_a;
    if (db != nullptr) db[i] = -grad_a;
  });
}

}  // namespace

void BceWithLogitsForwardCuda(int64_t rows, int64_t cols, const float* x, const float* t,
                              float* out) {
  if (rows <= 0) return;
  cols = std::max<int64_t>(cols, 0);  // cols == 0 still launches: each out[r] must become 0
  LaunchKernel("RowLossKernel<BceTerm>", RowLossKernel<BceTerm>, RowBlocks(rows, 1), kThreads, rows,
               cols, x, t, out);
}

void BceWithLogitsBackwardCuda(int64_t rows, int64_t cols, const float* x, const float* t,
                               const float* dout, float* dx, float* dt) {
  if (rows <= 0 || cols <= 0) return;
  LaunchKernel("BceWithLogitsBackwardKernel", BceWithLogitsBackwardKernel, ElementGrid(rows, cols),
               ElementBlock(), rows, cols, x, t, dout, dx, dt);
}

void MseForwardCuda(int64_t rows, int64_t cols, const float* a, const float* b, float* out) {
  if (rows <= 0) return;
  cols = std::max<int64_t>(cols, 0);
  LaunchKernel("RowLossKernel<MseTerm>", RowLossKernel<MseTerm>, RowBlocks(rows, 1), kThreads, rows,
               cols, a, b, out);
}

void MseBackwardCuda(int64_t rows, int64_t cols, const float* a, const float* b, const float* dout,
                     float* da, float* db) {
  if (rows <= 0 || cols <= 0 || (da == nullptr && db == nullptr)) return;
  LaunchKernel("MseBackwardKernel", MseBackwardKernel, ElementGrid(rows, cols), ElementBlock(),
               rows, cols, a, b, dout, da, db);
}

}  // namespace latent::kernels

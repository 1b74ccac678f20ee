// CUDA kernels for kernels/loss.h: per-row BCE-with-logits and squared error, forward and
// backward. Float only; the CPU twins in kernels/cpu/loss.cc are the specification, and both call
// the per-element formulas of kernels/loss.h.
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

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/loss.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlockSum;
using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;
using cuda_detail::RowBlocks;

constexpr int kThreads = 256;

// The per-element terms, as types: RowLossKernel is a template over them.
struct BceTerm {
  __device__ float operator()(float x, float t) const { return BceWithLogitsOf(x, t); }
};
struct MseTerm {
  __device__ float operator()(float a, float b) const { return SquaredErrorOf(a, b); }
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
  // x, t, dx, dt: (rows, cols); dout: (rows)
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) {
    const int64_t i = r * cols + c;
    dx[i] = BceWithLogitsGradLogit(x[i], t[i], dout[r]);
    if (dt != nullptr) dt[i] = BceWithLogitsGradTarget(x[i], dout[r]);
  });
}

__global__ void MseBackwardKernel(int64_t rows, int64_t cols, const float* a, const float* b,
                                  const float* dout, float* da, float* db) {
  // a, b, da, db: (rows, cols); dout: (rows)
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) {
    const int64_t i = r * cols + c;
    const float grad_a = SquaredErrorGrad(a[i], b[i], dout[r]);
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

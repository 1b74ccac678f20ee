// CUDA kernels for kernels/reduce.h: sum, column sums (bias gradients), row sums.
//
// Deterministic by construction: no atomics, and every launch shape is a function of the problem
// size only (never of the GPU, the clock or a race), so each output is added up by the same
// threads in the same tree every run, and two runs are bitwise identical. Accumulation is in
// double, like the CPU reference (kernels/cpu/reduce.cc): on a GPU with full-rate FP64 (H100) it
// costs nothing in a memory-bound loop, and it makes the result nearly independent of the order,
// so the GPU and CPU sums usually round to the same float.
//
// n: number of elements; rows, cols: the shape of a row-major matrix.
//
// Versions:
//   Sum v1: each of G blocks (G = a function of n, at most 1024) sums a grid-stride share into a
//      double partial (warp shuffles, then one shared-memory step across the 8 warps); a second
//      one-block launch adds the G partials in the same fixed tree. With G == 1 one launch
//      writes the result. measured speed: not yet measured (no GPU)
//   ColumnSum v1: a block owns 32 columns and a slab of at most ~1024 rows; thread (tx, ty) adds
//      rows ty, ty + 8, ... of column tx (a warp reads 32 consecutive floats of a row), then the 8
//      per-thread sums of a column are added in the order ty = 0..7. More than one slab: the
//      (slabs, cols) double partials are summed by the same kernel, in slab order.
//      measured speed: not yet measured (no GPU)
//   RowSum v1: one warp per row, lanes stride along the row, a shuffle tree adds the 32 lanes.
//      measured speed: not yet measured (no GPU)
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/scratch.cuh"
#include "kernels/reduce.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlockSum;
using cuda_detail::CeilDiv;
using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::GridCap;
using cuda_detail::LaunchKernel;
using cuda_detail::RowBlocks;
using cuda_detail::Scratch;
using cuda_detail::WarpSum;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

// out[blockIdx.x] = the sum of x[i] over this block's grid-stride share of [0, n).
// Pass 1: In = float, Out = double (partials); pass 2: In = double, Out = float, one block.
template <typename In, typename Out>
__global__ void __launch_bounds__(kThreads) SumKernel(int64_t n, const In* x, Out* out) {
  // x: (n), out: (gridDim.x)
  double acc = 0.0;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride)
    acc += static_cast<double>(x[i]);
  acc = BlockSum<kThreads>(acc);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<Out>(acc);
}

constexpr int kColTile = 32;  // columns of a block: threadIdx.x
constexpr int kRowLanes = 8;  // threads per column: threadIdx.y
constexpr int64_t kSlabRows = 1024;
constexpr int64_t kMaxSlabs = 1024;

// out[slab, c] = sum of x[r, c] over the rows of slab blockIdx.y, [slab * slab_rows, ...).
template <typename In, typename Out>
__global__ void __launch_bounds__(kColTile* kRowLanes)
    ColumnSumKernel(int64_t rows, int64_t cols, int64_t slab_rows, const In* x, Out* out) {
  // x: (rows, cols), out: (gridDim.y, cols)
  __shared__ double lane_sums[kRowLanes][kColTile];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kColTile + threadIdx.x;
  const int64_t r_begin = static_cast<int64_t>(blockIdx.y) * slab_rows;
  const int64_t r_end = min(rows, r_begin + slab_rows);
  double acc = 0.0;
  if (c < cols) {
    for (int64_t r = r_begin + threadIdx.y; r < r_end; r += kRowLanes)
      acc += static_cast<double>(x[r * cols + c]);
  }
  lane_sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    double sum = 0.0;
    for (int k = 0; k < kRowLanes; ++k) sum += lane_sums[k][threadIdx.x];
    out[static_cast<int64_t>(blockIdx.y) * cols + c] = static_cast<Out>(sum);
  }
}

__global__ void __launch_bounds__(kThreads)
    RowSumKernel(int64_t rows, int64_t cols, const float* x, float* out) {
  // x: (rows, cols), out: (rows). The row loop is uniform across a warp, as the shuffle needs.
  const int lane = threadIdx.x % 32;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; r < rows;
       r += static_cast<int64_t>(gridDim.x) * kWarps) {
    const float* x_row = x + r * cols;  // (cols)
    double acc = 0.0;
    for (int64_t c = lane; c < cols; c += 32) acc += static_cast<double>(x_row[c]);
    acc = WarpSum(acc);
    if (lane == 0) out[r] = static_cast<float>(acc);
  }
}


__global__ void BroadcastKernel(int64_t rows, int64_t cols, bool along_rows, const float* v,
                                float* y) {
  // v: (rows) when along_rows (y[r, c] = v[r]), else (cols) (y[r, c] = v[c]); y: (rows, cols).
  ForEachElement2d(rows, cols, [&](int64_t r, int64_t c) {
    y[r * cols + c] = along_rows ? v[r] : v[c];
  });
}

void LaunchBroadcast(int64_t rows, int64_t cols, bool along_rows, const float* v, float* y) {
  if (rows <= 0 || cols <= 0) return;
  LaunchKernel("BroadcastKernel", BroadcastKernel, ElementGrid(rows, cols), ElementBlock(), rows,
               cols, along_rows, v, y);
}

}  // namespace

void SumCuda(int64_t n, const float* x, float* out) {
  n = std::max<int64_t>(n, 0);            // n == 0 still launches: out[0] must become 0
  constexpr int64_t kItemsPerThread = 8;  // below this much work per thread, fewer blocks
  constexpr int64_t kMaxBlocks = 1024;    // partials the one-block second pass adds (4 a thread)
  const int64_t blocks =
      std::clamp<int64_t>(CeilDiv(n, kThreads * kItemsPerThread), 1, GridCap(kMaxBlocks));
  if (blocks == 1) {
    LaunchKernel("SumKernel<float, float>", SumKernel<float, float>, 1, kThreads, n, x, out);
    return;
  }
  Scratch partials(static_cast<size_t>(blocks) * sizeof(double));  // (blocks)
  LaunchKernel("SumKernel<float, double>", SumKernel<float, double>, static_cast<unsigned>(blocks),
               kThreads, n, x, partials.as<double>());
  LaunchKernel("SumKernel<double, float>", SumKernel<double, float>, 1, kThreads, blocks,
               partials.as<double>(), out);
}

void ColumnSumCuda(int64_t rows, int64_t cols, const float* x, float* out) {
  if (cols <= 0) return;
  rows = std::max<int64_t>(rows, 0);  // rows == 0 still launches: out must become zeros
  const int64_t slabs = std::clamp<int64_t>(CeilDiv(rows, kSlabRows), 1, GridCap(kMaxSlabs));
  const int64_t slab_rows = CeilDiv(rows, slabs);
  const auto col_tiles = static_cast<unsigned>(CeilDiv(cols, kColTile));
  const dim3 block(kColTile, kRowLanes);
  if (slabs == 1) {
    LaunchKernel("ColumnSumKernel<float, float>", ColumnSumKernel<float, float>, dim3(col_tiles, 1),
                 block, rows, cols, slab_rows, x, out);
    return;
  }
  Scratch partials(static_cast<size_t>(slabs * cols) * sizeof(double));  // (slabs, cols)
  LaunchKernel("ColumnSumKernel<float, double>", ColumnSumKernel<float, double>,
               dim3(col_tiles, static_cast<unsigned>(slabs)), block, rows, cols, slab_rows, x,
               partials.as<double>());
  // The partials are a (slabs, cols) matrix: sum its columns as one slab.
  LaunchKernel("ColumnSumKernel<double, float>", ColumnSumKernel<double, float>, dim3(col_tiles, 1),
               block, slabs, cols, slabs, partials.as<double>(), out);
}

void RowSumCuda(int64_t rows, int64_t cols, const float* x, float* out) {
  if (rows <= 0) return;
  cols = std::max<int64_t>(cols, 0);
  LaunchKernel("RowSumKernel", RowSumKernel, RowBlocks(rows, kWarps), kThreads, rows, cols, x, out);
}

void RowBroadcastCuda(int64_t rows, int64_t cols, const float* v, float* y) {
  LaunchBroadcast(rows, cols, /*along_rows=*/true, v, y);
}

void ColumnBroadcastCuda(int64_t rows, int64_t cols, const float* v, float* y) {
  LaunchBroadcast(rows, cols, /*along_rows=*/false, v, y);
}

}  // namespace latent::kernels

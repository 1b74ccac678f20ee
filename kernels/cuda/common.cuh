// Helpers shared by the CUDA kernel files (kernels/cuda/*.cu): launch-shape arithmetic, the 2-D
// element loop and the deterministic warp and block sums. Each is defined once, here, because
// kernels in different files must agree on them: a launcher's grid must match the loop its kernel
// runs, and the reductions promise one fixed summation tree wherever they run. (The formulas the
// kernels share with the CPU are in the family headers, kernels/<family>.h.) Included only by .cu
// files.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "kernels/error.h"

namespace latent::kernels::cuda_detail {

// --- host: launch shapes ------------------------------------------------------------------------

constexpr int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// `cap`, or less when LATENT_CUDA_GRID_LIMIT=N is set: every launcher whose kernel loops over what
// its grid does not cover (grid-stride loops, row loops, BlockSum called once per row) sizes its
// grid with this. The caps below fill any GPU, so those loops turn only at sizes too large to
// test; a small limit makes them turn at any size (CTest's sim_schedule_* tests run so).
inline int64_t GridCap(int64_t cap) {
  static const int64_t limit = [] {
    const char* v = std::getenv("LATENT_CUDA_GRID_LIMIT");
    if (v == nullptr || *v == '\0') return int64_t{0};
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    LATENT_CHECK(*end == '\0' && n >= 1, "LATENT_CUDA_GRID_LIMIT='", v,
                 "': expected a number of blocks >= 1");
    return static_cast<int64_t>(n);
  }();
  return limit > 0 ? std::min(cap, limit) : cap;
}

// Blocks of `threads` threads for a grid-stride loop over `work` items: one item per thread, up to
// 8192 blocks. That fills any current GPU several times over; beyond it each thread loops, so a
// launch never asks for more blocks than the hardware allows.
inline int BlocksFor(int64_t work, int threads) {
  constexpr int64_t kMaxBlocks = 8192;
  return static_cast<int>(std::min<int64_t>(CeilDiv(work, threads), GridCap(kMaxBlocks)));
}

// Blocks for a kernel whose blocks take `rows_per_block` rows at a time (1: a block per row;
// warps per block: a warp per row), up to 2^20 blocks; beyond that the kernel's row loop gives
// each block several turns.
inline unsigned RowBlocks(int64_t rows, int64_t rows_per_block) {
  return static_cast<unsigned>(
      std::min<int64_t>(CeilDiv(rows, rows_per_block), GridCap(int64_t{1} << 20)));
}

// The block of the 2-D element kernels: 32 columns x 8 rows, 256 threads. threadIdx.x runs along
// a row, so a warp touches 32 consecutive elements (coalesced), and a thread knows its row (for a
// per-row value such as dout[r]) without dividing a flat index by cols.
constexpr int kTileCols = 32, kTileRows = 8;

inline dim3 ElementBlock() { return dim3(kTileCols, kTileRows); }

// The grid for ForEachElement2d over a (rows, cols) matrix. gridDim.y is limited to 65535 (and x
// is capped alike); ForEachElement2d loops over what does not fit.
inline dim3 ElementGrid(int64_t rows, int64_t cols) {
  const int64_t cap = GridCap(65535);
  return dim3(static_cast<unsigned>(std::min<int64_t>(CeilDiv(cols, kTileCols), cap)),
              static_cast<unsigned>(std::min<int64_t>(CeilDiv(rows, kTileRows), cap)));
}

// Pointers that float4 (128-bit) loads and stores may use.
inline bool Aligned16(const void* ptr) { return reinterpret_cast<uintptr_t>(ptr) % 16 == 0; }

// --- device -------------------------------------------------------------------------------------

// Calls body(r, c) for every element (r, c) of a (rows, cols) matrix, in a kernel launched with
// ElementGrid(rows, cols) blocks of ElementBlock() threads.
template <typename Body>
__device__ __forceinline__ void ForEachElement2d(int64_t rows, int64_t cols, Body body) {
  for (int64_t r = static_cast<int64_t>(blockIdx.y) * kTileRows + threadIdx.y; r < rows;
       r += static_cast<int64_t>(gridDim.y) * kTileRows) {
    for (int64_t c = static_cast<int64_t>(blockIdx.x) * kTileCols + threadIdx.x; c < cols;
         c += static_cast<int64_t>(gridDim.x) * kTileCols) {
      body(r, c);
    }
  }
}

// Sum over the warp's 32 lanes, complete in lane 0. The shuffle tree is fixed (lane l adds lane
// l + 16, then l + 8, ...), so the result is bitwise the same every run. Every lane must call it.
__device__ __forceinline__ double WarpSum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// Sum over a 1-D block of kBlockThreads threads, complete in thread 0: each warp's shuffle tree,
// then warp 0 adds the warp sums in the same tree. No atomics, so the order is fixed and the
// result bitwise reproducible. Every thread of the block must call it.
template <int kBlockThreads>
__device__ double BlockSum(double v) {
  constexpr int kWarps = kBlockThreads / 32;
  static_assert(kBlockThreads % 32 == 0 && kWarps <= 32, "warp 0 adds one warp sum per lane");
  __shared__ double warp_sums[kWarps];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = WarpSum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = 0.0;
  if (warp == 0) v = WarpSum(lane < kWarps ? warp_sums[lane] : 0.0);
  // warp_sums is free again only when warp 0 has read it: a caller's next BlockSum (a loop over
  // rows) would overwrite it.
  __syncthreads();
  return v;
}

}  // namespace latent::kernels::cuda_detail

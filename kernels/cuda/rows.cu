// CUDA kernels for kernels/rows.h: gathering minibatch rows by index, the deterministic
// scatter-add that is its backward, and joining/splitting columns. The CPU twins in
// kernels/cpu/rows.cc are the specification.
//
// B: rows moved (the minibatch); N: rows of the gathered-from matrix; D, Da, Db: row widths.
//
// Versions (all v1, measured speed: not yet measured (no GPU)):
//   Gather, Concat, Split: pure copies over a 2-D block (32 columns x 8 rows): a warp moves 32
//      consecutive elements of one row, and no thread divides a flat index to find its row.
//   ScatterAddRows: one thread per element (n, d) of dx walks b = 0..B-1 and adds dout[b, d]
//      where index[b] == n. O(B N D) work, but no atomics: a repeated index adds its rows in the
//      order b = 0, 1, ..., exactly as the CPU does, so the result is bitwise the CPU's and the
//      same every run. Fine for the small N it is used with; a sort-by-index version would be
//      the next step for large N.
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/runtime.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/rows.h"

namespace latent::kernels {
namespace {

using cuda_detail::ElementBlock;
using cuda_detail::ElementGrid;
using cuda_detail::ForEachElement2d;
using cuda_detail::LaunchKernel;

template <typename T>
__global__ void GatherRowsKernel(int64_t B, int64_t D, const int32_t* index, const T* x, T* out) {
  // index: (B), x: (N, D), out: (B, D). N is not passed: the caller has checked 0 <= index < N.
  ForEachElement2d(B, D, [&](int64_t b, int64_t d) {
    out[b * D + d] = x[static_cast<int64_t>(index[b]) * D + d];
  });
}

__global__ void ScatterAddRowsKernel(int64_t B, int64_t N, int64_t D, const int32_t* index,
                                     const float* dout, float* dx) {
  // index: (B), dout: (B, D), dx: (N, D). `+=` onto what dx holds (zeros, from the caller), one
  // b at a time in order; every thread of a warp reads the same index[b] (one broadcast load).
  ForEachElement2d(N, D, [&](int64_t n, int64_t d) {
    float acc = dx[n * D + d];
    for (int64_t b = 0; b < B; ++b) {
      if (index[b] == n) acc += dout[b * D + d];
    }
    dx[n * D + d] = acc;
  });
}

__global__ void ConcatColsKernel(int64_t B, int64_t Da, int64_t Db, const float* a, const float* b,
                                 float* out) {
  // a: (B, Da), b: (B, Db), out: (B, Da + Db)
  ForEachElement2d(B, Da + Db, [&](int64_t r, int64_t c) {
    out[r * (Da + Db) + c] = c < Da ? a[r * Da + c] : b[r * Db + (c - Da)];
  });
}

__global__ void SplitColsKernel(int64_t B, int64_t Da, int64_t Db, const float* out, float* da,
                                float* db) {
  // out: (B, Da + Db), da: (B, Da) or null, db: (B, Db) or null
  ForEachElement2d(B, Da + Db, [&](int64_t r, int64_t c) {
    if (c < Da) {
      if (da != nullptr) da[r * Da + c] = out[r * (Da + Db) + c];
    } else if (db != nullptr) {
      db[r * Db + (c - Da)] = out[r * (Da + Db) + c];
    }
  });
}

}  // namespace

void GatherRowsCuda(int64_t B, int64_t D, const int32_t* index, const float* x, float* out) {
  if (B <= 0 || D <= 0) return;
  LaunchKernel("GatherRowsKernel<float>", GatherRowsKernel<float>, ElementGrid(B, D),
               ElementBlock(), B, D, index, x, out);
}

void GatherRowsCuda(int64_t B, int64_t D, const int32_t* index, const int32_t* x, int32_t* out) {
  if (B <= 0 || D <= 0) return;
  LaunchKernel("GatherRowsKernel<int32_t>", GatherRowsKernel<int32_t>, ElementGrid(B, D),
               ElementBlock(), B, D, index, x, out);
}

void ScatterAddRowsCuda(int64_t B, int64_t N, int64_t D, const int32_t* index, const float* dout,
                        float* dx) {
  if (B <= 0 || N <= 0 || D <= 0) return;
  LaunchKernel("ScatterAddRowsKernel", ScatterAddRowsKernel, ElementGrid(N, D), ElementBlock(), B,
               N, D, index, dout, dx);
}

void ConcatColsCuda(int64_t B, int64_t Da, int64_t Db, const float* a, const float* b, float* out) {
  if (B <= 0 || Da + Db <= 0) return;
  LaunchKernel("ConcatColsKernel", ConcatColsKernel, ElementGrid(B, Da + Db), ElementBlock(), B, Da,
               Db, a, b, out);
}

void SplitColsCuda(int64_t B, int64_t Da, int64_t Db, const float* out, float* da, float* db) {
  if (B <= 0 || Da + Db <= 0 || (da == nullptr && db == nullptr)) return;
  LaunchKernel("SplitColsKernel", SplitColsKernel, ElementGrid(B, Da + Db), ElementBlock(), B, Da,
               Db, out, da, db);
}

}  // namespace latent::kernels

// Handwritten CUDA SGEMM for kernels/gemm.h: C = alpha * op(A) * op(B) + beta * C, row-major,
// op(X) = X or X^T, any M, N, K, lda, ldb, ldc; beta == 0 means C is written, never read. And the
// linear layer's C = act(A B^T + bias) (GemmBiasActCuda): the same kernel with a fused epilogue.
// GemmRefCpu (kernels/cpu/gemm_ref.cc) is the specification; GemmCublas (kernels/cuda/cublas.cu)
// is "version 0", the baseline this file is measured against.
//
// M, N, K: op(A) is (M, K), op(B) is (K, N), C is (M, N). A block computes a (kBM, kBN) tile of C;
// "MN" below means M for an A tile and N for a B tile.
//
// Versions:
//   v1 (default) shared-memory tiling with 2-D register blocking. 256 threads compute a
//      (kBM, kBN) tile of C, each thread a (kBM/16, kBN/16) block of accumulators in registers,
//      walking K in steps of kBK = 8. Both operands go through shared memory K-major (tile[k][mn])
//      whatever their transpose: an operand whose rows run along K (A, or B^T) is transposed
//      while it is stored; one whose rows run along MN (A^T, or B) is stored as it is. So the
//      inner loop is one code path: per k, each thread reads its kBM/16 values of A and kBN/16
//      of B as float4s and does (kBM/16)(kBN/16) FMAs. Global loads are 128-bit (float4) when the
//      operand's pointer and leading dimension are 16-byte aligned and the four elements lie
//      inside the matrix; elsewhere (ragged edges, odd leading dimensions) four bounds-checked
//      scalar loads fill the same float4, zeros outside the matrix. The next K-slice is fetched
//      into registers before the current one is used, so its latency hides behind the FMAs.
//      Two tile shapes: 128 x 128 (8 x 8 per thread) when that gives at least one block per SM,
//      otherwise 64 x 64 (4 x 4 per thread), since the VAE's GEMMs (M = 128 rows of a batch)
//      would give 128 x 128 tiles only a handful of blocks. measured speed: not yet measured
//      (no GPU)
//   v1 + epilogue (GemmBiasActCuda): the kernel's epilogue is a template parameter, applied to
//      each value between `alpha * acc + beta * C` and its store. The plain GEMM's (NoEpilogue)
//      is the identity and compiles away; BiasAct adds bias[col], held in registers for the
//      thread's columns, and applies relu or sigmoid, so a linear layer's output is written once
//      instead of three times (GEMM, bias, activation) and costs one launch instead of three.
//      Instantiated for A B^T only, the linear forward's case. measured speed: not yet measured
//      (no GPU)
#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/gemm.h"

namespace latent::kernels {
namespace {

using cuda_detail::CeilDiv;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;  // 16 x 16: thread (ty, tx) = (tid / 16, tid % 16)
constexpr int kBK = 8;         // depth of one K-slice in shared memory
// Each thread's rows of the C tile are g * 64 + ty * 4 + {0..3} for its groups g (and columns
// likewise with tx): 16 threads x 4 = 64. Neighbouring tx then read neighbouring float4s of the
// B tile (conflict-free), and a warp stores 256 contiguous bytes of a C row.
constexpr int kGroup = 64;
// Shared-memory rows are padded by 4 floats: rows stay 16-byte aligned for float4 reads, and the
// transposing store (below) puts its two half-warps in different banks: 4 * (kTile + 4) is 16
// banks past a multiple of 32 for kTile = 64 and 128.
constexpr int kPad = 4;

// Moves one (kTile x kBK) slice of an operand, starting at (mn0, k0), global -> registers ->
// shared memory, as float4 "slots": four consecutive elements along whichever dimension the
// operand's rows run. kKRows: element (mn, k) is at src[mn * ld + k] (rows along K: A, or B
// stored transposed); otherwise it is at src[k * ld + mn] (rows along MN: A stored transposed, or
// B).
template <int kTile, bool kKRows>
struct TileLoader {
  static constexpr int kSlots = kTile * kBK / 4;
  static constexpr int kSlotsPerThread = (kSlots + kThreads - 1) / kThreads;
  static_assert(kTile % kGroup == 0 && kSlots % 32 == 0, "tile must split into whole warps");
  float4 staged[kSlotsPerThread];

  // Tile coordinates of the first element of slot `slot`.
  __device__ static void SlotOrigin(int slot, int& mn, int& k) {
    if constexpr (kKRows) {
      mn = slot / (kBK / 4);
      k = (slot % (kBK / 4)) * 4;
    } else {
      k = slot / (kTile / 4);
      mn = (slot % (kTile / 4)) * 4;
    }
  }

  // src: the operand as stored, with row stride ld; MN, K: its logical size. vec_ok: src and ld
  // are 16-byte aligned, so a slot that lies inside the matrix is one aligned float4.
  __device__ void Fetch(const float* __restrict__ src, int64_t ld, int64_t MN, int64_t K,
                        int64_t mn0, int64_t k0, bool vec_ok) {
#pragma unroll
    for (int s = 0; s < kSlotsPerThread; ++s) {
      const int slot = threadIdx.x + s * kThreads;
      if (slot >= kSlots) break;
      int mn, k;
      SlotOrigin(slot, mn, k);
      const int64_t gmn = mn0 + mn, gk = k0 + k;
      const bool inside = kKRows ? (gmn < MN && gk + 3 < K) : (gk < K && gmn + 3 < MN);
      if (vec_ok && inside) {
        staged[s] =
            *reinterpret_cast<const float4*>(src + (kKRows ? gmn * ld + gk : gk * ld + gmn));
        continue;
      }
      float e[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t r = kKRows ? gmn : gmn + j;  // element (r, c) of op(...) as (MN, K)
        const int64_t c = kKRows ? gk + j : gk;
        // Zeros outside the matrix add nothing to C: ragged edges need no other special case.
        e[j] = (r < MN && c < K) ? src[kKRows ? r * ld + c : c * ld + r] : 0.0f;
      }
      staged[s] = make_float4(e[0], e[1], e[2], e[3]);
    }
  }

  // Writes the staged slots K-major: tile[k][mn].
  __device__ void Stash(float (&tile)[kBK][kTile + kPad]) const {
#pragma unroll
    for (int s = 0; s < kSlotsPerThread; ++s) {
      const int slot = threadIdx.x + s * kThreads;
      if (slot >= kSlots) break;
      int mn, k;
      SlotOrigin(slot, mn, k);
      if constexpr (kKRows) {  // the slot runs along K: transpose it into one column of the tile
        tile[k + 0][mn] = staged[s].x;
        tile[k + 1][mn] = staged[s].y;
        tile[k + 2][mn] = staged[s].z;
        tile[k + 3][mn] = staged[s].w;
      } else {
        *reinterpret_cast<float4*>(&tile[k][mn]) = staged[s];
      }
    }
  }
};

// Epilogues: what happens to each finished value v = alpha * acc + beta * C of column col before
// it is stored. Bias(col) is read once per column a thread owns (only for col < N); Apply(v, b)
// then runs per element with that column's b.
struct NoEpilogue {  // the plain GEMM: nothing, and nothing left after inlining
  __device__ float Bias(int64_t) const { return 0.0f; }
  __device__ float Apply(float v, float) const { return v; }
};

// act(v + bias[col]), in the order of the unfused kernels (AddBiasRows, then UnaryForward).
template <Activation kAct>
struct BiasAct {
  const float* bias;  // (N), or null: no bias
  __device__ float Bias(int64_t col) const { return bias != nullptr ? bias[col] : 0.0f; }
  __device__ float Apply(float v, float b) const {
    if (bias != nullptr) v += b;  // skipped, not `+ 0`: -0 + 0 would be +0
    return Activate(kAct, v, 0.0f);
  }
};

template <int kBM, int kBN, bool kTransA, bool kTransB, typename Epilogue>
__global__ void __launch_bounds__(kThreads)
    SgemmTiledKernel(int64_t M, int64_t N, int64_t K, float alpha, const float* __restrict__ A,
                     int64_t lda, bool vec_a, const float* __restrict__ B, int64_t ldb, bool vec_b,
                     float beta, float* __restrict__ C, int64_t ldc, bool vec_c, Epilogue ep) {
  // A: (M, K), or (K, M) when kTransA; B: (K, N), or (N, K) when kTransB; C: (M, N).
  constexpr int kTM = kBM / 16, kTN = kBN / 16;            // accumulators per thread: (kTM, kTN)
  __shared__ __align__(16) float a_tile[kBK][kBM + kPad];  // a_tile[k][m] = op(A)[m0 + m, k0 + k]
  __shared__ __align__(16) float b_tile[kBK][kBN + kPad];  // b_tile[k][n] = op(B)[k0 + k, n0 + n]
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kBN;

  TileLoader<kBM, !kTransA> a_loader;  // A's rows run along K unless it is stored transposed
  TileLoader<kBN, kTransB> b_loader;   // B's rows run along N unless it is stored transposed
  float acc[kTM][kTN] = {};

  a_loader.Fetch(A, lda, M, K, m0, 0, vec_a);
  b_loader.Fetch(B, ldb, N, K, n0, 0, vec_b);
  for (int64_t k0 = 0; k0 < K; k0 += kBK) {
    a_loader.Stash(a_tile);
    b_loader.Stash(b_tile);
    __syncthreads();  // the slice is complete before anyone reads it
    if (k0 + kBK < K) {
      a_loader.Fetch(A, lda, M, K, m0, k0 + kBK, vec_a);
      b_loader.Fetch(B, ldb, N, K, n0, k0 + kBK, vec_b);
    }
#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      float a[kTM], b[kTN];
#pragma unroll
      for (int g = 0; g < kTM / 4; ++g) {
        const float4 v = *reinterpret_cast<const float4*>(&a_tile[k][g * kGroup + ty * 4]);
        a[g * 4 + 0] = v.x, a[g * 4 + 1] = v.y, a[g * 4 + 2] = v.z, a[g * 4 + 3] = v.w;
      }
#pragma unroll
      for (int g = 0; g < kTN / 4; ++g) {
        const float4 v = *reinterpret_cast<const float4*>(&b_tile[k][g * kGroup + tx * 4]);
        b[g * 4 + 0] = v.x, b[g * 4 + 1] = v.y, b[g * 4 + 2] = v.z, b[g * 4 + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < kTM; ++i) {
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
    }
    __syncthreads();  // everyone has read the slice before the next Stash overwrites it
  }

  // The per-column values of the epilogue, once for all of the thread's rows.
  float col_bias[kTN];
#pragma unroll
  for (int j = 0; j < kTN; ++j) {
    const int64_t col = n0 + (j / 4) * kGroup + tx * 4 + j % 4;
    col_bias[j] = col < N ? ep.Bias(col) : 0.0f;
  }

  // Epilogue: C = ep(alpha * acc + beta * C), four columns at a time.
#pragma unroll
  for (int i = 0; i < kTM; ++i) {
    const int64_t row = m0 + (i / 4) * kGroup + ty * 4 + i % 4;
    if (row >= M) continue;
#pragma unroll
    for (int h = 0; h < kTN / 4; ++h) {
      const int64_t col = n0 + h * kGroup + tx * 4;
      float* c = C + row * ldc + col;
      float out[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) out[j] = alpha * acc[i][h * 4 + j];
      if (vec_c && col + 3 < N) {
        if (beta != 0.0f) {  // beta == 0: C may hold garbage or NaN and must not be read
          const float4 old4 = *reinterpret_cast<const float4*>(c);
          const float old[4] = {old4.x, old4.y, old4.z, old4.w};
#pragma unroll
          for (int j = 0; j < 4; ++j) out[j] += beta * old[j];
        }
#pragma unroll
        for (int j = 0; j < 4; ++j) out[j] = ep.Apply(out[j], col_bias[h * 4 + j]);
        *reinterpret_cast<float4*>(c) = make_float4(out[0], out[1], out[2], out[3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          if (col + j < N)
            c[j] = ep.Apply(beta == 0.0f ? out[j] : out[j] + beta * c[j], col_bias[h * 4 + j]);
        }
      }
    }
  }
}

// Every row of the operand starts 16-byte aligned, so in-bounds float4 loads are legal.
bool Aligned16(const void* ptr, int64_t ld) { return cuda_detail::Aligned16(ptr) && ld % 4 == 0; }

template <int kBM, int kBN, bool kTransA, bool kTransB, typename Epilogue>
void LaunchTiled(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc, Epilogue ep) {
  LATENT_CHECK(CeilDiv(M, kBM) <= 65535, "GemmCuda: M = ", M, " needs more than 65535 row tiles");
  const dim3 grid(static_cast<unsigned>(CeilDiv(N, kBN)), static_cast<unsigned>(CeilDiv(M, kBM)));
  const bool vec_a = Aligned16(A, lda), vec_b = Aligned16(B, ldb), vec_c = Aligned16(C, ldc);
  LaunchKernel("SgemmTiledKernel", SgemmTiledKernel<kBM, kBN, kTransA, kTransB, Epilogue>, grid,
               kThreads, M, N, K, alpha, A, lda, vec_a, B, ldb, vec_b, beta, C, ldc, vec_c, ep);
}

// Picks the tile shape: 128 x 128 when that gives at least one block per SM, else 64 x 64.
// The current device's SM count, asked of the driver once per device: a query on every launch
// would cost more than a small GEMM's launch itself.
int64_t MultiprocessorCount() {
  int device = 0;
  LATENT_CUDA_CHECK(cudaGetDevice(&device));
  static std::mutex mutex;
  static std::map<int, int> counts;
  std::lock_guard<std::mutex> lock(mutex);
  const auto [it, first] = counts.try_emplace(device, 0);
  if (first) {
    LATENT_CUDA_CHECK(cudaDeviceGetAttribute(&it->second, cudaDevAttrMultiProcessorCount, device));
  }
  return it->second;
}

template <bool kTransA, bool kTransB, typename Epilogue>
void Launch(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
            const float* B, int64_t ldb, float beta, float* C, int64_t ldc, Epilogue ep) {
  if (CeilDiv(M, 128) * CeilDiv(N, 128) >= MultiprocessorCount()) {
    LaunchTiled<128, 128, kTransA, kTransB>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
  } else {
    LaunchTiled<64, 64, kTransA, kTransB>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
  }
}

void CheckSizes(const char* name, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                int64_t lda, int64_t ldb, int64_t ldc) {
  LATENT_CHECK(M >= 0 && N >= 0 && K >= 0, name, ": expected M, N, K >= 0, found ", M, ", ", N,
               ", ", K);
  LATENT_CHECK(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) && ldc >= N, name,
               ": a leading dimension is smaller than its row: lda = ", lda, " for ",
               trans_a ? M : K, " columns, ldb = ", ldb, " for ", trans_b ? K : N,
               " columns, ldc = ", ldc, " for ", N, " columns");
}

}  // namespace

void GemmCuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) {
  CheckSizes("GemmCuda", trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  const NoEpilogue ep;
  if (!trans_a && !trans_b)
    Launch<false, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
  else if (!trans_a && trans_b)
    Launch<false, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
  else if (trans_a && !trans_b)
    Launch<true, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
  else
    Launch<true, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ep);
}

void GemmBiasActCuda(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                     int64_t ldb, const float* bias, Activation act, float* C, int64_t ldc) {
  // A: (M, K); B: (N, K); bias: (N) or null; C: (M, N).
  CheckSizes("GemmBiasActCuda", false, true, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  switch (act) {
    case Activation::kIdentity:
      return Launch<false, true>(M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc,
                                 BiasAct<Activation::kIdentity>{bias});
    case Activation::kRelu:
      return Launch<false, true>(M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc,
                                 BiasAct<Activation::kRelu>{bias});
    case Activation::kSigmoid:
      return Launch<false, true>(M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc,
                                 BiasAct<Activation::kSigmoid>{bias});
    default: break;
  }
  LATENT_FAIL("GemmBiasActCuda: activation ", static_cast<int>(act),
              " is not a GEMM epilogue (identity, relu or sigmoid)");
}

}  // namespace latent::kernels

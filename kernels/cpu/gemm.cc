// Optimized f32 GEMM for the CPU (GemmCpu): C = alpha * op(A) * op(B) + beta * C, row-major; and
// the same GEMM with a fused bias + activation epilogue (GemmBiasActCpu): C = act(A B^T + bias).
//
// The Goto / BLIS scheme. C is cut into kMr x kNr micro-tiles. A micro-kernel keeps one whole
// tile in SIMD registers and, per step k, loads one row of op(B)'s panel, broadcasts kMr values
// of op(A)'s panel and issues kMr * kNv FMAs, so it runs near the FMA peak as long as its two
// panels stream from cache. To make them stream, op(A) and op(B) are first copied ("packed")
// into exactly the order the kernel reads them:
//   packed A: per panel of kMr rows of op(A),    (kc, kMr): column k of those rows, contiguous
//   packed B: per panel of kNr columns of op(B), (kc, kNr): row k of those columns, contiguous
// Packing also absorbs the transposes (all four cases run the same kernel, only the packing
// differs) and the ragged edges (panels are zero-padded, so the kernel never tests sizes).
//
// Loops, outermost first: column blocks (nc <= kNc) > depth blocks (kc <= kKc) > row blocks
// (mc * kc <= kABlockFloats). Each block's panels are packed by all threads together into buffers
// they share, then each thread computes its own rectangle of micro-tiles from them.
//
// The fused epilogue runs on each tile of the last depth block right after the tile is stored
// (FinishTile, below), while the tile is in L1.
//
// Letters: M, N, K as in gemm.h; mc, nc, kc: extents of the current block; mr, nr: of a tile.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/cpu/vec_math.h"
#include "kernels/error.h"
#include "kernels/gemm.h"

namespace latent::kernels {
namespace {

// --- SIMD vocabulary: the kernel below is written once, against these -------------------------
// The tile sizes use the register file: 16 (AVX2) or 32 (AVX-512) vector registers must hold the
// kMr * kNv accumulators plus kNv loaded B vectors and one broadcast A value. kMr * kNv FMAs per
// step also hide the FMA latency (4 cycles, 2 pipes: at least 8 independent chains needed).
#if defined(__AVX512F__)
// 12 x 32: 24 accumulators. Measured on Zen 5 against 8 x 48, 14 x 32 and 6 x 64: equal on large
// shapes (~85% of the FMA peak), better where N is small (a ragged 32-wide panel wastes less
// than a 48- or 64-wide one: the VAE's 20-unit latent layer).
using Vec = __m512;
constexpr int kLanes = 16;
constexpr int kMr = 12;
constexpr int kNv = 2;
inline Vec Zero() { return _mm512_setzero_ps(); }
inline Vec Broadcast(float x) { return _mm512_set1_ps(x); }
inline Vec Load(const float* p) { return _mm512_loadu_ps(p); }
inline void Store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec Mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec Fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
#elif defined(__AVX2__) && defined(__FMA__)
// 6 x 16: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers.
using Vec = __m256;
constexpr int kLanes = 8;
constexpr int kMr = 6;
constexpr int kNv = 2;
inline Vec Zero() { return _mm256_setzero_ps(); }
inline Vec Broadcast(float x) { return _mm256_set1_ps(x); }
inline Vec Load(const float* p) { return _mm256_loadu_ps(p); }
inline void Store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec Mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec Fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
#else
// Portable: one-float "vectors"; the compiler may still vectorize the unrolled loops.
using Vec = float;
constexpr int kLanes = 1;
constexpr int kMr = 4;
constexpr int kNv = 8;
inline Vec Zero() { return 0.0f; }
inline Vec Broadcast(float x) { return x; }
inline Vec Load(const float* p) { return *p; }
inline void Store(float* p, Vec v) { *p = v; }
inline Vec Mul(Vec a, Vec b) { return a * b; }
inline Vec Fma(Vec a, Vec b, Vec c) { return a * b + c; }
#endif
constexpr int kNr = kNv * kLanes;

// Cache blocks, for 48 KiB L1d and 1 MiB L2 per core (AMD EPYC, Zen 5), 32 MiB L3.
// kc: the kernel streams a (kc, kNr) B panel (128 KiB at kc = 1024) from L2 against each A panel
// of a block, at 2 lines per 24 FMAs: far below L2's bandwidth, so kc need not fit L1, and deep is
// better: fewer passes over C, fewer barriers (the VAE's K = 784 is one block). 256 to 1024
// measured alike.
// mc: the packed A block gets a fixed L2 budget (768 KiB: each of 2 threads uses its half of
// the rows), so a shallow block holds more rows: dW's K = 128 takes all M = 784 at once.
// nc: bounds the shared B block (4 MiB at kc = 1024), which lives in L3.
constexpr int64_t kKc = 1024;
constexpr int64_t kABlockFloats = 192 * 1024;
constexpr int64_t kNc = 32 * kNr;

// Below this many flops, waking a second thread costs more than it saves: measured, 2 threads
// start to win between 32^3 (65 kflop) and 64^3 (0.5 Mflop).
constexpr double kParallelMinFlops = 2e5;

constexpr int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The block size for `extent` split into blocks of at most `max_block` (a multiple of `unit`):
// equal blocks, rounded up to `unit`. K = 1100 becomes 552 + 548, not 1024 + 76: no block is a
// sliver whose packing and barrier cost as much as a full one's.
int64_t BalancedBlock(int64_t extent, int64_t max_block, int64_t unit) {
  return std::min(max_block, CeilDiv(CeilDiv(extent, CeilDiv(extent, max_block)), unit) * unit);
}

// c = alpha * ap^T bp + beta * c for one full tile; beta == 0 writes c without reading it.
// ap: (kc, kMr) packed A panel; bp: (kc, kNr) packed B panel; c: (kMr, kNr), row stride ldc.
void MicroKernel(int64_t kc, const float* ap, const float* bp, float alpha, float beta, float* c,
                 int64_t ldc) {
  Vec acc[kMr][kNv];
#pragma GCC unroll 16
  for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < kNv; ++v) acc[i][v] = Zero();
  for (int64_t k = 0; k < kc; ++k) {
    Vec b[kNv];
#pragma GCC unroll 8
    for (int v = 0; v < kNv; ++v) b[v] = Load(bp + v * kLanes);
#pragma GCC unroll 16
    for (int i = 0; i < kMr; ++i) {
      const Vec a = Broadcast(ap[i]);
#pragma GCC unroll 8
      for (int v = 0; v < kNv; ++v) acc[i][v] = Fma(a, b[v], acc[i][v]);
    }
    ap += kMr;
    bp += kNr;
  }
  const Vec va = Broadcast(alpha);
  if (beta == 0.0f) {
#pragma GCC unroll 16
    for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < kNv; ++v) Store(c + i * ldc + v * kLanes, Mul(va, acc[i][v]));
  } else {
    const Vec vb = Broadcast(beta);
#pragma GCC unroll 16
    for (int i = 0; i < kMr; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < kNv; ++v) {
        float* p = c + i * ldc + v * kLanes;
        Store(p, Fma(vb, Load(p), Mul(va, acc[i][v])));
      }
  }
}

// A partial tile (mr < kMr or nr < kNr) at C's ragged edge: the kernel runs on the zero-padded
// panels into a full-size scratch tile, and only the valid corner is merged into C.
void EdgeTile(int64_t kc, const float* ap, const float* bp, float alpha, float beta, float* c,
              int64_t ldc, int64_t mr, int64_t nr) {
  alignas(64) float tile[kMr * kNr];
  MicroKernel(kc, ap, bp, 1.0f, 0.0f, tile, kNr);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float& out = c[i * ldc + j];
      out = beta == 0.0f ? alpha * tile[i * kNr + j] : alpha * tile[i * kNr + j] + beta * out;
    }
}

#if defined(__AVX2__)
// out[k * out_stride + r] = in[r * in_stride + k] for r < kRows (4 or 8) and k < 8, in registers.
template <int kRows>
inline void TransposeBlock(const float* in, int64_t in_stride, float* out, int64_t out_stride) {
  __m256 r[kRows], t[kRows], s[kRows];
  for (int i = 0; i < kRows; ++i) r[i] = _mm256_loadu_ps(in + i * in_stride);
  for (int i = 0; i < kRows; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  // s[i] holds 4 lines of columns (i % 4) and (i % 4) + 4, one per 128-bit half.
  for (int i = 0; i < kRows; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    if constexpr (kRows == 8) {
      _mm256_storeu_ps(out + i * out_stride, _mm256_permute2f128_ps(s[i], s[i + 4], 0x20));
      _mm256_storeu_ps(out + (i + 4) * out_stride, _mm256_permute2f128_ps(s[i], s[i + 4], 0x31));
    } else {
      _mm_storeu_ps(out + i * out_stride, _mm256_castps256_ps128(s[i]));
      _mm_storeu_ps(out + (i + 4) * out_stride, _mm256_extractf128_ps(s[i], 1));
    }
  }
}
#endif

// Packs panels [p0, p1) of `lines` lines, each panel kW lines wide, into dst: panel p is stored
// at dst + p * depth * kW as (depth, kW). Element (l, k) of the source is
// src[l * line_stride + k * depth_stride]. Lines past `lines` are zero.
template <int kW>
void PackPanels(const float* src, int64_t line_stride, int64_t depth_stride, int64_t lines,
                int64_t depth, int64_t p0, int64_t p1, float* dst) {
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t l0 = p * kW;
    const int w = static_cast<int>(std::min<int64_t>(kW, lines - l0));
    // in: (w, depth) with strides (line_stride, depth_stride); out: (depth, kW).
    const float* in = src + l0 * line_stride;
    float* out = dst + p * depth * kW;
    if (line_stride == 1) {
      // op(X) already has the panel's lines side by side: a plain copy, row by row.
      for (int64_t k = 0; k < depth; ++k)
        std::copy(in + k * depth_stride, in + k * depth_stride + w, out + k * kW);
    } else {
      // A transpose. Whole 8 x 8 (or 4 x 8) blocks go through registers; the scalar loop below
      // only sees what is left: the depth tail of those lines, and lines that are not in a block.
      int simd_lines = 0;
      int64_t simd_depth = 0;
#if defined(__AVX2__)
      if (depth_stride == 1) {
        simd_depth = depth / 8 * 8;
        for (; simd_lines + 8 <= w; simd_lines += 8)
          for (int64_t k = 0; k < simd_depth; k += 8)
            TransposeBlock<8>(in + simd_lines * line_stride + k, line_stride,
                              out + k * kW + simd_lines, kW);
        for (; simd_lines + 4 <= w; simd_lines += 4)
          for (int64_t k = 0; k < simd_depth; k += 8)
            TransposeBlock<4>(in + simd_lines * line_stride + k, line_stride,
                              out + k * kW + simd_lines, kW);
      }
#endif
      for (int r = 0; r < w; ++r)
        for (int64_t k = r < simd_lines ? simd_depth : 0; k < depth; ++k)
          out[k * kW + r] = in[r * line_stride + k * depth_stride];
    }
    // Zero the padding lines of a ragged panel, so the kernel can run full-width on it.
    if (w < kW)
      for (int64_t k = 0; k < depth; ++k) std::fill(out + k * kW + w, out + (k + 1) * kW, 0.0f);
  }
}

// A growable, 64-byte aligned buffer. One per calling thread (thread_local below): packing
// reuses it from call to call instead of allocating, and aligned panels never split a cache line.
class PackBuffer {
 public:
  float* Get(size_t n) {
    if (n > capacity_) {
      const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data_) throw std::bad_alloc();
      capacity_ = n;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t capacity_ = 0;
};

// Lays nth threads out as a th_m x th_n grid over a tiles_m x tiles_n grid of micro-tiles,
// choosing the layout whose largest rectangle has the fewest tiles: a 128-row batch times a
// 20-column layer splits along M, a 20-row by 400-column product along N.
void SplitGrid(int64_t tiles_m, int64_t tiles_n, int nth, int* th_m, int* th_n) {
  int64_t best = -1;
  for (int tm = 1; tm <= nth; ++tm) {
    if (nth % tm != 0) continue;
    const int tn = nth / tm;
    const int64_t largest = CeilDiv(tiles_m, tm) * CeilDiv(tiles_n, tn);
    if (best < 0 || largest < best) {
      best = largest;
      *th_m = tm;
      *th_n = tn;
    }
  }
}

// C = beta * C, for K == 0 (an empty sum). beta == 0 writes zeros: C may hold NaN.
void ScaleC(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// --- the fused epilogue: C[i, j] = act(C[i, j] + bias[j]) ----------------------------------------
struct Epilogue {
  const float* bias = nullptr;  // (N), or null: no bias
  Activation act = Activation::kIdentity;
  bool Empty() const { return bias == nullptr && act == Activation::kIdentity; }
};

// row[j] = f(row[j], j) for the (mr, n) elements of a tile: n = kWidth for a full tile, whose
// loops, of a compile-time length, become a few whole vectors with no remainder loop; else nr.
// Measured on the VAE's training step: with runtime-length loops for every tile, the epilogue cost
// more (about 1.5% of the step) than the separate bias and relu passes it replaces.
template <int kWidth, typename F>
void ForEachInTile(float* c, int64_t ldc, int64_t mr, int64_t nr, F f) {
  const int64_t n = kWidth > 0 ? kWidth : nr;
  for (int64_t i = 0; i < mr; ++i) {
    float* row = c + i * ldc;  // (n)
    for (int64_t j = 0; j < n; ++j) row[j] = f(row[j], j);
  }
}

// Finishes a stored (mr, nr) tile c (row stride ldc, nr <= kNr) whose first column is column j0
// of C. Each element goes through exactly the operations of AddBiasRowsCpu (`y += bias`) and then
// UnaryForwardCpu, so GemmBiasActCpu equals those three kernels bit for bit.
// Why after the store and not in the micro-kernel's registers: the round trip through L1 costs a
// few vector loads and stores per row of the tile against kc kNv FMAs (kc = 784 for the VAE: well
// under 1%), while the micro-kernel and the edge tile stay one code path each, and the plain GEMM
// runs them unchanged; sigmoid widens to double for its exp, which a register epilogue would have
// to spill the tile for anyway.
void FinishTile(const Epilogue& ep, int64_t j0, float* c, int64_t ldc, int64_t mr, int64_t nr) {
  // The tile's slice of the bias, copied: a local array cannot alias C, so the loops vectorize
  // without runtime overlap checks.
  alignas(64) float b[kNr] = {};
  if (ep.bias != nullptr) std::copy(ep.bias + j0, ep.bias + j0 + nr, b);
  auto run = [&](auto f) {
    if (nr == kNr)
      ForEachInTile<kNr>(c, ldc, mr, nr, f);
    else
      ForEachInTile<0>(c, ldc, mr, nr, f);
  };
  // Each element becomes ActivateCpu(act, v + b[j]), with act a compile-time constant, as in
  // UnaryForwardCpu: each loop is one plain expression. Without a bias nothing is added: -0 + 0
  // would be +0.
  const bool bias = ep.bias != nullptr;
  auto finish = [&](auto act) {
    if (bias)
      run([&](float v, int64_t j) { return vec::ActivateCpu<float>(act, v + b[j], 0.0f); });
    else if (act != Activation::kIdentity)
      run([&](float v, int64_t) { return vec::ActivateCpu<float>(act, v, 0.0f); });
  };
  switch (ep.act) {
    case Activation::kIdentity:
      return finish(std::integral_constant<Activation, Activation::kIdentity>());
    case Activation::kRelu: return finish(std::integral_constant<Activation, Activation::kRelu>());
    case Activation::kSigmoid:
      return finish(std::integral_constant<Activation, Activation::kSigmoid>());
    default: return;  // not an epilogue: GemmBiasActCpu rejects it
  }
}

// GemmCpu with an epilogue applied to every element of C once its sum is complete.
void GemmBlocked(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc, const Epilogue& ep) {
  // A: (M, K), or (K, M) when trans_a; B: (K, N), or (N, K) when trans_b; C: (M, N).
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    ScaleC(M, N, beta, C, ldc);
    for (int64_t j0 = 0; j0 < N && !ep.Empty(); j0 += kNr)  // in strips as wide as a tile
      FinishTile(ep, j0, C + j0, ldc, M, std::min<int64_t>(kNr, N - j0));
    return;
  }
  // op(A)[i, k] = A[i * a_line + k * a_depth];  op(B)[k, j] = B[j * b_line + k * b_depth].
  const int64_t a_line = trans_a ? 1 : lda, a_depth = trans_a ? lda : 1;
  const int64_t b_line = trans_b ? ldb : 1, b_depth = trans_b ? 1 : ldb;
  const int64_t kb = BalancedBlock(K, kKc, 8);  // depth in 8s: the transposing pack's SIMD step
  const int64_t mb = BalancedBlock(M, std::max<int64_t>(kMr, kABlockFloats / kb / kMr * kMr), kMr);
  const int64_t nb = BalancedBlock(N, kNc, kNr);

  // Two copies of each packed buffer, used by alternate blocks: a thread may pack block t + 1
  // while another still computes block t, so one barrier per block suffices. The copy it packs
  // was last read in block t - 1, and the barrier of block t proves every thread is done with it.
  thread_local PackBuffer a_buffer, b_buffer;
  float* const a_copies = a_buffer.Get(2 * mb * kb);  // each: (mb / kMr) panels of (kc, kMr)
  float* const b_copies = b_buffer.Get(2 * nb * kb);  // each: (nb / kNr) panels of (kc, kNr)
  [[maybe_unused]] const bool parallel = 2.0 * M * N * K >= kParallelMinFlops;

#pragma omp parallel if (parallel)
  {
    int tid = 0, nth = 1;
#ifdef _OPENMP
    tid = omp_get_thread_num();
    nth = omp_get_num_threads();
#endif
    int64_t a_blocks = 0, b_blocks = 0;
    for (int64_t jc = 0; jc < N; jc += nb) {
      const int64_t nc = std::min(nb, N - jc);
      const int64_t panels_b = CeilDiv(nc, kNr);
      for (int64_t pc = 0; pc < K; pc += kb) {
        const int64_t kc = std::min(kb, K - pc);
        // The first depth block applies beta; later ones add their partial sums to it. The last
        // completes each sum, so it finishes the tiles.
        const float block_beta = pc == 0 ? beta : 1.0f;
        const bool finish = pc + kc == K && !ep.Empty();
        // B's panels serve every row block, so they are packed once per (jc, pc).
        float* const packed_b = b_copies + (b_blocks++ % 2) * nb * kb;
        for (int64_t ic = 0; ic < M; ic += mb) {
          const int64_t mc = std::min(mb, M - ic);
          const int64_t panels_a = CeilDiv(mc, kMr);
          float* const packed_a = a_copies + (a_blocks++ % 2) * mb * kb;
          if (ic == 0)
            PackPanels<kNr>(B + jc * b_line + pc * b_depth, b_line, b_depth, nc, kc,
                            panels_b * tid / nth, panels_b * (tid + 1) / nth, packed_b);
          PackPanels<kMr>(A + ic * a_line + pc * a_depth, a_line, a_depth, mc, kc,
                          panels_a * tid / nth, panels_a * (tid + 1) / nth, packed_a);
          // Every thread reads panels that other threads packed.
#pragma omp barrier
          int th_m = 1, th_n = 1;
          SplitGrid(panels_a, panels_b, nth, &th_m, &th_n);
          const int my_m = tid / th_n, my_n = tid % th_n;
          const int64_t m0 = panels_a * my_m / th_m, m1 = panels_a * (my_m + 1) / th_m;
          const int64_t n0 = panels_b * my_n / th_n, n1 = panels_b * (my_n + 1) / th_n;
          // B panel outer, A panels inner: the thread's A panels stay in its L2 and are swept
          // once per B panel; each B panel crosses from the packing thread's cache once.
          for (int64_t jr = n0; jr < n1; ++jr) {
            const int64_t nr = std::min<int64_t>(kNr, nc - jr * kNr);
            const float* bp = packed_b + jr * kc * kNr;
            for (int64_t ir = m0; ir < m1; ++ir) {
              const int64_t mr = std::min<int64_t>(kMr, mc - ir * kMr);
              const float* ap = packed_a + ir * kc * kMr;
              float* c = C + (ic + ir * kMr) * ldc + jc + jr * kNr;
              if (mr == kMr && nr == kNr)
                MicroKernel(kc, ap, bp, alpha, block_beta, c, ldc);
              else
                EdgeTile(kc, ap, bp, alpha, block_beta, c, ldc, mr, nr);
              if (finish) FinishTile(ep, jc + jr * kNr, c, ldc, mr, nr);
            }
          }
        }
      }
    }
  }
}

}  // namespace

void GemmCpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
             const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
             int64_t ldc) {
  GemmBlocked(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, Epilogue{});
}

void GemmBiasActCpu(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                    int64_t ldb, const float* bias, Activation act, float* C, int64_t ldc) {
  // A: (M, K); B: (N, K); bias: (N) or null; C: (M, N).
  LATENT_CHECK(IsEpilogueActivation(act), "GemmBiasActCpu: activation ", static_cast<int>(act),
               " is not a GEMM epilogue (identity, relu or sigmoid)");
  GemmBlocked(false, true, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc, Epilogue{bias, act});
}

}  // namespace latent::kernels

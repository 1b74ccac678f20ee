// GEMM kernels: C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T.
//
// M, N, K are the sizes of op(A): (M, K), op(B): (K, N), C: (M, N). lda/ldb/ldc are the row
// strides of A, B, C as stored (so A stored (K, M) when trans_a). beta == 0 means C is written,
// never read (it may hold garbage or NaN).
//
//   GemmRefCpu     plain triple loop: the specification every other GEMM is tested against
//   GemmCpu        optimized f32 path (packing, cache blocking, SIMD micro-kernel, OpenMP);
//                  safe to call from several threads at once (packing buffers are per thread)
//   GemmCuda       handwritten CUDA SGEMM (kernels/cuda/gemm.cu)
//   GemmCublas     cuBLAS in plain FP32 mode, the baseline our CUDA GEMM is measured against
#pragma once

#include <cstdint>

namespace latent::kernels {

template <typename T>
void GemmRefCpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

void GemmCpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
             const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
             int64_t ldc);

void GemmCuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc);
void GemmCublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc);

}  // namespace latent::kernels

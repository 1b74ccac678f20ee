// GEMM kernels: C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T; and the fused
// form a linear layer uses, C = act(A B^T + bias).
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
//
//   GemmBiasAct*   C = act(A B^T + bias): the same GEMMs with a fused epilogue, which adds the
//                  bias and applies the activation to each output tile as it is written, instead
//                  of two more passes over C (and, on a GPU, two more launches).
#pragma once

#include <cstdint>

#include "kernels/elementwise.h"

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

// The activations a fused epilogue applies (Activate of kernels/elementwise.h): those of linear
// layers. The GemmBiasAct* kernels reject the others.
constexpr bool IsEpilogueActivation(Activation act) {
  return act == Activation::kIdentity || act == Activation::kRelu || act == Activation::kSigmoid;
}

// C = act(A B^T + bias), a linear layer y = act(x W^T + b) with W in PyTorch's (out, in) layout.
// A: (M, K), row stride lda; B: (N, K), row stride ldb; bias: (N), or null for none;
// C: (M, N), row stride ldc, written, never read.
// Each element is computed as the plain GEMM computes it, then `+ bias[j]`, then the activation:
// on the CPU the f32 result equals GemmCpu, then AddBiasRowsCpu, then UnaryForwardCpu, bit for bit
// (and GemmBiasActRefCpu is that composition of the reference kernels).
template <typename T>
void GemmBiasActRefCpu(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
                       int64_t ldb, const T* bias, Activation act, T* C, int64_t ldc);
void GemmBiasActCpu(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                    int64_t ldb, const float* bias, Activation act, float* C, int64_t ldc);
void GemmBiasActCuda(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                     int64_t ldb, const float* bias, Activation act, float* C, int64_t ldc);

}  // namespace latent::kernels

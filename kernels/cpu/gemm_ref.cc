// Reference GEMM: the specification every other GEMM in latent is tested against.
//
// C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T. Deliberately the plain
// triple loop: no blocking, no SIMD, no threads, so that it can be checked by reading it.
// M, N, K: op(A) is (M, K), op(B) is (K, N), C is (M, N).
//
// The fused C = act(A B^T + bias) is specified as what it fuses: this GEMM, then the bias and the
// activation kernels of kernels/cpu/elementwise.cc, so it cannot disagree with the unfused ops.
#include "kernels/error.h"
#include "kernels/gemm.h"

namespace latent::kernels {

template <typename T>
void GemmRefCpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  // A: (M, K), or (K, M) when trans_a; row stride lda.
  // B: (K, N), or (N, K) when trans_b; row stride ldb.
  // C: (M, N); row stride ldc.
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      T sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        const T a = trans_a ? A[k * lda + i] : A[i * lda + k];  // op(A)[i, k]
        const T b = trans_b ? B[j * ldb + k] : B[k * ldb + j];  // op(B)[k, j]
        sum += a * b;
      }
      // beta == 0 promises that C is not read: it may hold garbage, and 0 * NaN would be NaN.
      C[i * ldc + j] = beta == T(0) ? alpha * sum : alpha * sum + beta * C[i * ldc + j];
    }
  }
}

template <typename T>
void GemmBiasActRefCpu(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
                       int64_t ldb, const T* bias, Activation act, T* C, int64_t ldc) {
  // A: (M, K); B: (N, K); bias: (N) or null; C: (M, N), row stride ldc.
  LATENT_CHECK(IsEpilogueActivation(act), "GemmBiasActRefCpu: activation ", static_cast<int>(act),
               " is not a GEMM epilogue (identity, relu or sigmoid)");
  GemmRefCpu<T>(false, true, M, N, K, T(1), A, lda, B, ldb, T(0), C, ldc);
  for (int64_t i = 0; i < M; ++i) {  // row by row: the elementwise kernels take contiguous rows
    T* row = C + i * ldc;            // (N)
    if (bias != nullptr) AddBiasRowsCpu<T>(1, N, bias, row);
    if (act != Activation::kIdentity) UnaryForwardCpu<T>(act, N, T(0), row, row);
  }
}

#define LATENT_INSTANTIATE_GEMM_REF(T)                                                       \
  template void GemmRefCpu<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,   \
                              const T*, int64_t, T, T*, int64_t);                            \
  template void GemmBiasActRefCpu<T>(int64_t, int64_t, int64_t, const T*, int64_t, const T*, \
                                     int64_t, const T*, Activation, T*, int64_t);
LATENT_INSTANTIATE_GEMM_REF(float)
LATENT_INSTANTIATE_GEMM_REF(double)
#undef LATENT_INSTANTIATE_GEMM_REF

}  // namespace latent::kernels

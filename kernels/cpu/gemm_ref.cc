// Reference GEMM: the specification every other GEMM in latent is tested against.
//
// C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T. Deliberately the plain
// triple loop: no blocking, no SIMD, no threads, so that it can be checked by reading it.
// M, N, K: op(A) is (M, K), op(B) is (K, N), C is (M, N).
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

template void GemmRefCpu<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                const float*, int64_t, float, float*, int64_t);
template void GemmRefCpu<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                 int64_t, const double*, int64_t, double, double*, int64_t);

}  // namespace latent::kernels

// GemmCublas (kernels/gemm.h): cuBLAS SGEMM in plain FP32, "version 0" of kernels/cuda/gemm.cu,
// the baseline the handwritten kernel is tested and measured against. Not used in training.
//
// cuBLAS is column-major; latent is row-major. A row-major (M, N) matrix with row stride ldc is,
// byte for byte, a column-major (N, M) matrix with leading dimension ldc: its transpose. So
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T, i.e. cublasSgemm with the operands
// swapped (B first), the sizes swapped (N, M, K), and each operand's transpose flag unchanged.
#include <cublas_v2.h>

#include <climits>
#include <cstdint>
#include <mutex>
#include <vector>

#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/gemm.h"

// Checks a cuBLAS call; on failure throws latent::Error naming the status, statement, file, line.
#define LATENT_CUBLAS_CHECK(stmt)                                                                 \
  do {                                                                                            \
    const cublasStatus_t latent_status_ = (stmt);                                                 \
    if (latent_status_ != CUBLAS_STATUS_SUCCESS)                                                  \
      LATENT_FAIL("cuBLAS error '", cublasGetStatusString(latent_status_), "' (",                 \
                  cublasGetStatusName(latent_status_), ") from `", #stmt, "` at ", __FILE__, ":", \
                  __LINE__);                                                                      \
  } while (0)

namespace latent::kernels {
namespace {

// One handle per device, created on first use and kept for the life of the program (destroying
// it from a static destructor could run after the CUDA runtime has shut down). The mutex is held
// for the whole GEMM: a handle's stream is handle state, so two threads must not interleave
// cublasSetStream and cublasSgemm on it.
std::mutex& HandleMutex() {
  static std::mutex mutex;
  return mutex;
}

cublasHandle_t HandleFor(int device) {  // caller holds HandleMutex()
  static std::vector<cublasHandle_t> handles;
  if (handles.empty()) handles.assign(static_cast<size_t>(CudaDeviceCount()), nullptr);
  LATENT_CHECK(device >= 0 && device < static_cast<int>(handles.size()), "GemmCublas: device ",
               device, " is not one of this machine's ", handles.size(), " CUDA devices");
  cublasHandle_t& handle = handles[static_cast<size_t>(device)];
  if (handle == nullptr) {
    LATENT_CUBLAS_CHECK(cublasCreate(&handle));  // binds the handle to the current device
    // Plain FP32: CUBLAS_DEFAULT_MATH never uses TF32 tensor cores for SGEMM (that takes
    // CUBLAS_TF32_TENSOR_OP_MATH), so the baseline computes what our kernel computes.
    LATENT_CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
  }
  return handle;
}

}  // namespace

void GemmCublas(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                int64_t ldc) {
  // A: (M, K), or (K, M) when trans_a; B: (K, N), or (N, K) when trans_b; C: (M, N).
  LATENT_CHECK(M >= 0 && N >= 0 && K >= 0, "GemmCublas: expected M, N, K >= 0, found ", M, ", ", N,
               ", ", K);
  for (int64_t v : {M, N, K, lda, ldb, ldc}) {
    LATENT_CHECK(v <= INT_MAX, "GemmCublas: size or leading dimension ", v,
                 " does not fit cuBLAS's 32-bit int");
  }
  if (M == 0 || N == 0) return;
  int device = 0;
  LATENT_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(HandleMutex());
  cublasHandle_t handle = HandleFor(device);
  LATENT_CUBLAS_CHECK(cublasSetStream(handle, CurrentCudaStream()));
  // cuBLAS requires a leading dimension >= 1 even for an empty operand (K == 0).
  const auto ld = [](int64_t v) { return static_cast<int>(v < 1 ? 1 : v); };
  // Column-major view: C^T (N, M) = op(B)^T (N, K) * op(A)^T (K, M).
  LATENT_CUBLAS_CHECK(cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                  trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(N),
                                  static_cast<int>(M), static_cast<int>(K), &alpha, B, ld(ldb), A,
                                  ld(lda), &beta, C, ld(ldc)));
}

}  // namespace latent::kernels

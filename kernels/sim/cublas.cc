// cuBLAS in the simulator (see the simulator's cublas_v2.h): a handle that remembers its stream
// and math mode, and SGEMM as the column-major reference loop, with the argument checks cuBLAS
// documents and a range check of every matrix against its device allocation.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <tuple>

#include "kernels/sim/internal.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

// The bytes a column-major (rows, cols) matrix with leading dimension ld spans.
size_t Extent(int rows, int cols, int ld) {
  if (rows == 0 || cols == 0) return 0;
  return (static_cast<size_t>(cols - 1) * static_cast<size_t>(ld) + static_cast<size_t>(rows)) *
         sizeof(float);
}

cublasStatus_t Invalid(const std::string& why) {
  latent::sim::Fail(cudaErrorInvalidValue, "cublasSgemm: " + why);
  return CUBLAS_STATUS_INVALID_VALUE;
}

}  // namespace

// Handles live in a pool that is never freed: callers keep theirs for the life of the program
// (a static destructor may run after the runtime is gone), and a pool reachable from a global is
// no leak to LeakSanitizer, unlike handles referenced only from a destroyed static.
cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  static auto* pool = new std::deque<cublasContext>;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  *handle = &pool->emplace_back();
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  return handle == nullptr ? CUBLAS_STATUS_NOT_INITIALIZED : CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->math = mode;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:
      return cudaGetErrorString(cudaErrorInvalidValue);  // the simulator's detailed reason
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
  }
  return "unknown status";
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k, const float* alpha,
                           const float* A, int lda, const float* B, int ldb, const float* beta,
                           float* C, int ldc) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  const auto valid_op = [](cublasOperation_t op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T; };
  if (!valid_op(transa) || !valid_op(transb)) return Invalid("transa and transb must be N or T");
  if (m < 0 || n < 0 || k < 0)
    return Invalid("m, n, k = " + std::to_string(m) + ", " + std::to_string(n) + ", " +
                   std::to_string(k) + ": each must be >= 0");
  const bool ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
  // As stored (column-major): A is (m, k), or (k, m) when transposed; B is (k, n) or (n, k).
  const int a_rows = ta ? k : m, a_cols = ta ? m : k;
  const int b_rows = tb ? n : k, b_cols = tb ? k : n;
  if (lda < std::max(1, a_rows) || ldb < std::max(1, b_rows) || ldc < std::max(1, m))
    return Invalid("lda, ldb, ldc = " + std::to_string(lda) + ", " + std::to_string(ldb) + ", " +
                   std::to_string(ldc) + ": each must be >= max(1, rows of its matrix) = " +
                   std::to_string(std::max(1, a_rows)) + ", " +
                   std::to_string(std::max(1, b_rows)) + ", " + std::to_string(std::max(1, m)));
  if (alpha == nullptr || beta == nullptr) return Invalid("alpha and beta must not be null");
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  for (const auto& [name, ptr, bytes] : {std::tuple<const char*, const void*, size_t>{
                                             "A", A, k > 0 ? Extent(a_rows, a_cols, lda) : 0},
                                         {"B", B, k > 0 ? Extent(b_rows, b_cols, ldb) : 0},
                                         {"C", C, Extent(m, n, ldc)}}) {
    if (const std::string why = latent::sim::CheckDeviceRange(name, ptr, bytes); !why.empty())
      return Invalid(why);
  }
  const float a = *alpha, b = *beta;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double acc = 0.0;  // the reference: double accumulation, one rounding
      for (int p = 0; p < k; ++p) {
        const float x =
            ta ? A[p + static_cast<int64_t>(i) * lda] : A[i + static_cast<int64_t>(p) * lda];
        const float y =
            tb ? B[j + static_cast<int64_t>(p) * ldb] : B[p + static_cast<int64_t>(j) * ldb];
        acc += static_cast<double>(x) * y;
      }
      float& c = C[i + static_cast<int64_t>(j) * ldc];
      // beta == 0: C is output only and is not read (it may hold NaN), as BLAS specifies.
      c = b == 0.0f ? a * static_cast<float>(acc) : a * static_cast<float>(acc) + b * c;
    }
  }
  return CUBLAS_STATUS_SUCCESS;
}

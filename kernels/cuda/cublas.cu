// GemmCublas (kernels/gemm.h): cuBLAS SGEMM in plain FP32, "version 0" of kernels/cuda/gemm.cu,
// the baseline the handwritten kernel is tested and measured against. Not used in training.
//
// cuBLAS is loaded at its first use (dlopen), not linked: only --gemm cublas, the GEMM tests and
// the benchmarks call it, and loading it (with cuBLASLt, which it pulls in) costs every program
// that links it about half a second at start, even `latent --help` and a one-line test. Under the
// simulator, its stand-in (kernels/sim/cublas.cc) is linked and called directly.
//
// cuBLAS is column-major; latent is row-major. A row-major (M, N) matrix with row stride ldc is,
// byte for byte, a column-major (N, M) matrix with leading dimension ldc: its transpose. So
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T, i.e. cublasSgemm with the operands
// swapped (B first), the sizes swapped (N, M, K), and each operand's transpose flag unchanged.
#include <cublas_v2.h>
#ifndef LATENT_CUDA_SIM
#include <dlfcn.h>
#endif

#include <climits>
#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/gemm.h"

// Checks a cuBLAS call; on failure throws latent::Error naming the status, statement, file, line.
#define LATENT_CUBLAS_CHECK(stmt)                                                               \
  do {                                                                                          \
    const cublasStatus_t latent_status_ = (stmt);                                               \
    if (latent_status_ != CUBLAS_STATUS_SUCCESS)                                                \
      LATENT_FAIL("cuBLAS error '", Cublas().GetStatusString(latent_status_), "' (",            \
                  Cublas().GetStatusName(latent_status_), ") from `", #stmt, "` at ", __FILE__, \
                  ":", __LINE__);                                                               \
  } while (0)

namespace latent::kernels {
namespace {

// The cuBLAS entry points latent calls. cublas_v2.h maps each name to its versioned symbol
// (cublasCreate -> cublasCreate_v2), so the symbol looked up is the expanded name.
#define LATENT_NAME_OF(function) LATENT_NAME_OF_EXPANDED(function)
#define LATENT_NAME_OF_EXPANDED(function) #function
struct CublasApi {
  decltype(&cublasCreate) Create;
  decltype(&cublasSetMathMode) SetMathMode;
  decltype(&cublasSetStream) SetStream;
  decltype(&cublasSgemm) Sgemm;
  decltype(&cublasGetStatusName) GetStatusName;
  decltype(&cublasGetStatusString) GetStatusString;
};

const CublasApi& Cublas() {
  static const CublasApi api = [] {
#ifdef LATENT_CUDA_SIM
    return CublasApi{cublasCreate, cublasSetMathMode,   cublasSetStream,
                     cublasSgemm,  cublasGetStatusName, cublasGetStatusString};
#else
    // The library of the toolkit latent was built with first, then the loader's search path.
    const std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* library = dlopen((std::string(LATENT_CUDA_LIBRARY_DIR) + "/" + soname).c_str(),
                           RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) library = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    LATENT_CHECK(library != nullptr, "cannot load cuBLAS (", soname, " from ",
                 LATENT_CUDA_LIBRARY_DIR, " or the library path): ", dlerror(),
                 "; it is needed only for the cuBLAS baseline (--gemm cublas)");
    CublasApi loaded;
    const auto find = [&](auto& function, const char* name) {
      function =
          reinterpret_cast<std::remove_reference_t<decltype(function)> >(dlsym(library, name));
      LATENT_CHECK(function != nullptr, "cuBLAS (", soname, ") lacks ", name);
    };
    find(loaded.Create, LATENT_NAME_OF(cublasCreate));
    find(loaded.SetMathMode, LATENT_NAME_OF(cublasSetMathMode));
    find(loaded.SetStream, LATENT_NAME_OF(cublasSetStream));
    find(loaded.Sgemm, LATENT_NAME_OF(cublasSgemm));
    find(loaded.GetStatusName, LATENT_NAME_OF(cublasGetStatusName));
    find(loaded.GetStatusString, LATENT_NAME_OF(cublasGetStatusString));
    return loaded;  // the library stays loaded for the life of the program
#endif
  }();
  return api;
}

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
    LATENT_CUBLAS_CHECK(Cublas().Create(&handle));  // binds the handle to the current device
    // Plain FP32: CUBLAS_DEFAULT_MATH never uses TF32 tensor cores for SGEMM (that takes
    // CUBLAS_TF32_TENSOR_OP_MATH), so the baseline computes what our kernel computes.
    LATENT_CUBLAS_CHECK(Cublas().SetMathMode(handle, CUBLAS_DEFAULT_MATH));
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
  LATENT_CUBLAS_CHECK(Cublas().SetStream(handle, CurrentCudaStream()));
  // cuBLAS requires a leading dimension >= 1 even for an empty operand (K == 0).
  const auto ld = [](int64_t v) { return static_cast<int>(v < 1 ? 1 : v); };
  // Column-major view: C^T (N, M) = op(B)^T (N, K) * op(A)^T (K, M).
  LATENT_CUBLAS_CHECK(Cublas().Sgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                     trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(N),
                                     static_cast<int>(M), static_cast<int>(K), &alpha, B, ld(ldb),
                                     A, ld(lda), &beta, C, ld(ldc)));
}

}  // namespace latent::kernels

// The CUDA runtime as the kernels use it: error checks, the device count, and one stream per
// device on which every kernel of that device runs in order. core/cuda_runtime.cc adds the device
// allocator and copies on top.
#include "kernels/cuda/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "kernels/error.h"

namespace latent {

namespace detail {
void ThrowCudaError(cudaError_t err, const char* stmt, const char* file, int line) {
  LATENT_FAIL("CUDA error '", cudaGetErrorString(err), "' (", cudaGetErrorName(err), ") from `",
              stmt, "` at ", file, ":", line);
}
}  // namespace detail

namespace {

int QueryDeviceCount() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    // A machine without a GPU (or with too old a driver) answers with an error, not 0.
    std::fprintf(stderr, "latent: no usable CUDA device (%s); using the CPU\n",
                 cudaGetErrorString(err));
    cudaGetLastError();  // clear the sticky error so later queries start clean
    return 0;
  }
  return n;
}

}  // namespace

int CudaDeviceCount() {
  static const int count = QueryDeviceCount();
  return count;
}

bool CudaAvailable() { return CudaDeviceCount() > 0; }

bool CudaSyncDebug() {
  static const bool on = [] {
    const char* v = std::getenv("LATENT_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "0") != 0;
  }();
  return on;
}

void CudaSetDevice(int device_index) {
  LATENT_CHECK(device_index >= 0 && device_index < CudaDeviceCount(), "CUDA device cuda:",
               device_index, " does not exist; this machine has ", CudaDeviceCount(),
               " CUDA device(s)");
  LATENT_CUDA_CHECK(cudaSetDevice(device_index));
}

cudaStream_t CudaStream(int device_index) {
  static std::mutex mutex;
  static std::vector<cudaStream_t> streams;
  std::lock_guard<std::mutex> lock(mutex);
  if (streams.empty()) streams.assign(CudaDeviceCount(), nullptr);
  LATENT_CHECK(device_index >= 0 && device_index < static_cast<int>(streams.size()),
               "CUDA device cuda:", device_index, " does not exist");
  if (streams[device_index] == nullptr) {
    CudaSetDevice(device_index);
    LATENT_CUDA_CHECK(cudaStreamCreateWithFlags(&streams[device_index], cudaStreamNonBlocking));
  }
  return streams[device_index];
}

cudaStream_t CurrentCudaStream() {
  int device = 0;
  LATENT_CUDA_CHECK(cudaGetDevice(&device));
  return CudaStream(device);
}

}  // namespace latent

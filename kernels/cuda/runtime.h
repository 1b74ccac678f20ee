// The CUDA runtime as the kernels use it (only in builds with CUDA): LATENT_CUDA_CHECK and
// LATENT_CUDA_CHECK_LAUNCH, which turn an error into a latent::Error naming the call, the device
// count, and one stream per device, on which every kernel of that device runs in order.
#pragma once

#include <cuda_runtime.h>

namespace latent::detail {
[[noreturn]] void ThrowCudaError(cudaError_t err, const char* stmt, const char* file, int line);
}  // namespace latent::detail

// Checks a CUDA runtime call; on failure throws latent::Error naming the statement, file and line.
#define LATENT_CUDA_CHECK(stmt)                                                         \
  do {                                                                                  \
    cudaError_t latent_err_ = (stmt);                                                   \
    if (latent_err_ != cudaSuccess)                                                     \
      ::latent::detail::ThrowCudaError(latent_err_, #stmt, __FILE__, __LINE__);         \
  } while (0)

// Checks the launch of kernel `name` (a string) just made; the error names the kernel. With
// LATENT_CUDA_SYNC=1 in the environment it also synchronizes, so an asynchronous fault is
// reported at the kernel that caused it.
#define LATENT_CUDA_CHECK_LAUNCH(name)                                                  \
  do {                                                                                  \
    cudaError_t latent_err_ = cudaGetLastError();                                       \
    if (latent_err_ == cudaSuccess && ::latent::CudaSyncDebug())                        \
      latent_err_ = cudaDeviceSynchronize();                                            \
    if (latent_err_ != cudaSuccess)                                                     \
      ::latent::detail::ThrowCudaError(latent_err_, name, __FILE__, __LINE__);          \
  } while (0)

namespace latent {
// 0 when no driver or GPU answers (core/device.h declares these two for every build).
int CudaDeviceCount();
bool CudaAvailable();
// Makes `device_index` current for this thread; throws if it does not exist.
void CudaSetDevice(int device_index);
// The stream every kernel on `device_index` is launched on.
cudaStream_t CudaStream(int device_index = 0);
// The stream of the current device (the one CudaSetDevice last selected on this thread). Every
// kernel launcher in kernels/cuda/ launches on it.
cudaStream_t CurrentCudaStream();
bool CudaSyncDebug();
}  // namespace latent

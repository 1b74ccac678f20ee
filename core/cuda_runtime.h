// The CUDA runtime as the rest of latent sees it: device discovery, one stream per device, the
// device allocator, copies, and LATENT_CUDA_CHECK. In a build without CUDA every entry point
// exists and reports clearly that this binary has no CUDA support.
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "core/device.h"

#ifdef LATENT_WITH_CUDA
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
// The stream every kernel on `device_index` is launched on.
cudaStream_t CudaStream(int device_index = 0);
// The stream of the current device (the one CudaSetDevice last selected on this thread). Every
// kernel launcher in kernels/cuda/ launches on it.
cudaStream_t CurrentCudaStream();
bool CudaSyncDebug();
}  // namespace latent
#endif

namespace latent {

Allocator& CudaAllocator(int device_index);
// Makes `device_index` current for this thread; throws if it does not exist.
void CudaSetDevice(int device_index);
// Copies bytes between any two devices (host<->device, device<->device), in stream order.
void CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
// Waits for all work queued on the device's stream.
void Synchronize(Device device);

}  // namespace latent

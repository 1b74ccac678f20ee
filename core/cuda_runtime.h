// The CUDA runtime as the rest of latent sees it: kernels/cuda/runtime.h (device discovery, one
// stream per device, LATENT_CUDA_CHECK) plus the device allocator and copies. In a build without
// CUDA every entry point exists and reports clearly that this binary has no CUDA support.
#pragma once

#include <cstddef>

#include "core/allocator.h"
#include "core/device.h"

#ifdef LATENT_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

namespace latent {

Allocator& CudaAllocator(int device_index);
// Makes `device_index` current for this thread; throws if it does not exist.
void CudaSetDevice(int device_index);
// Copies bytes between any two devices (host<->device, device<->device), in stream order.
void CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
// Waits for all work queued on the device's stream.
void Synchronize(Device device);
// The free and total memory of `device_index` (cudaMemGetInfo).
void CudaMemoryInfo(int device_index, size_t* free_bytes, size_t* total_bytes);

}  // namespace latent

#include "core/cuda_runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/error.h"

namespace latent {

#ifdef LATENT_WITH_CUDA


namespace {

void* CudaRawAlloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw std::bad_alloc();
  }
  LATENT_CUDA_CHECK(err);
  return p;
}
void CudaRawFree(void* p) { cudaFree(p); }

// Turns cudaMalloc's bad_alloc into an error that says how much was asked for.
class CudaDeviceAllocator : public Allocator {
 public:
  explicit CudaDeviceAllocator(int index) : index_(index), cache_(CudaRawAlloc, CudaRawFree) {}
  void* Allocate(size_t bytes) override {
    CudaSetDevice(index_);
    try {
      return cache_.Allocate(bytes);
    } catch (const std::bad_alloc&) {
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      LATENT_FAIL("out of GPU memory on cuda:", index_, ": asked for ", bytes, " bytes, ", free_b,
                  " of ", total_b, " bytes free");
    }
  }
  void Free(void* ptr, size_t bytes) override { cache_.Free(ptr, bytes); }

 private:
  int index_;
  CachingAllocator cache_;
};

}  // namespace

Allocator& CudaAllocator(int device_index) {
  static std::mutex mutex;
  static std::vector<std::unique_ptr<CudaDeviceAllocator>> allocators;
  std::lock_guard<std::mutex> lock(mutex);
  LATENT_CHECK(device_index >= 0 && device_index < CudaDeviceCount(), "CUDA device cuda:",
               device_index, " does not exist; this machine has ", CudaDeviceCount(),
               " CUDA device(s)");
  if (allocators.empty()) allocators.resize(CudaDeviceCount());
  if (!allocators[device_index])
    allocators[device_index] = std::make_unique<CudaDeviceAllocator>(device_index);
  return *allocators[device_index];
}

void CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  const int index = dst_device.is_cuda() ? dst_device.index : src_device.index;
  cudaStream_t stream = CudaStream(index);
  LATENT_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream));
  // A copy to the host must be complete before the caller reads it.
  if (dst_device.is_cpu()) LATENT_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void Synchronize(Device device) {
  if (device.is_cuda()) LATENT_CUDA_CHECK(cudaStreamSynchronize(CudaStream(device.index)));
}

#else  // !LATENT_WITH_CUDA

namespace {
[[noreturn]] void NoCuda() {
  LATENT_FAIL("this build of latent has no CUDA support (configured with LATENT_CUDA=OFF or "
              "without nvcc); use --device cpu");
}
}  // namespace

int CudaDeviceCount() { return 0; }
bool CudaAvailable() { return false; }
void CudaSetDevice(int) { NoCuda(); }
Allocator& CudaAllocator(int) { NoCuda(); }
void CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (dst_device.is_cuda() || src_device.is_cuda()) NoCuda();
  if (bytes) std::memcpy(dst, src, bytes);
}
void Synchronize(Device device) {
  if (device.is_cuda()) NoCuda();
}

#endif

}  // namespace latent

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

// Turns cudaMalloc's bad_alloc into an error that says how much was asked for. A request larger
// than the whole GPU is refused before cudaMalloc (and before the cache is emptied for a retry
// that cannot help); the total is read once, as it does not change.
class CudaDeviceAllocator : public Allocator {
 public:
  explicit CudaDeviceAllocator(int index)
      : index_(index), total_(MemoryCapacity(Device::Cuda(index))),
        cache_(CudaRawAlloc, CudaRawFree) {}
  void* Allocate(size_t bytes) override {
    CudaSetDevice(index_);
    if (bytes > total_) CheckFitsInMemory(Device::Cuda(index_), bytes, 1, "a tensor");
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
  uint64_t total_;
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

void CudaMemoryInfo(int device_index, size_t* free_bytes, size_t* total_bytes) {
  // cudaMemGetInfo reports on the current device: select `device_index`, then restore the
  // caller's choice.
  int current = 0;
  LATENT_CUDA_CHECK(cudaGetDevice(&current));
  CudaSetDevice(device_index);
  const cudaError_t err = cudaMemGetInfo(free_bytes, total_bytes);
  CudaSetDevice(current);
  LATENT_CUDA_CHECK(err);
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
void CudaMemoryInfo(int, size_t*, size_t*) { NoCuda(); }

#endif

}  // namespace latent

// Device scratch memory for the duration of a launcher: taken from the stream-ordered allocator
// and freed on scope exit, right after the launches that use it were queued and before they have
// run. The free is queued on the same stream, so it takes effect after them. The device's pool
// keeps what is freed (release threshold: no limit), so a training step that asks for the same
// sizes every iteration allocates nothing new from the driver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "kernels/cuda/runtime.h"

namespace latent::kernels::cuda_detail {

class Scratch {
 public:
  explicit Scratch(size_t bytes) : stream_(CurrentCudaStream()) {
    KeepFreedMemory();
    LATENT_CUDA_CHECK(cudaMallocAsync(&ptr_, bytes, stream_));
  }
  ~Scratch() { cudaFreeAsync(ptr_, stream_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  // The default pool returns freed memory to the driver at every synchronization; keep it instead.
  static void KeepFreedMemory() {
    int device = 0;
    LATENT_CUDA_CHECK(cudaGetDevice(&device));
    static std::once_flag once[kMaxDevices];
    if (device >= kMaxDevices) return;  // such a machine only pays the driver's reallocation
    std::call_once(once[device], [device] {
      cudaMemPool_t pool;
      uint64_t keep_all = UINT64_MAX;
      LATENT_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
      LATENT_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
    });
  }
  static constexpr int kMaxDevices = 64;

  cudaStream_t stream_;
  void* ptr_ = nullptr;
};

}  // namespace latent::kernels::cuda_detail

// Helpers for the tests of CUDA code (real GPU or the CUDA simulator). Only for builds with CUDA
// (LATENT_WITH_CUDA).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

#include "core/cuda_runtime.h"
#include "kernels/error.h"

namespace latent::testing {

// A device array of n T's, freed on scope exit. Copies go through the stream the kernels use (a
// non-blocking stream does not wait for the legacy default stream) and wait for it.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (n_ > 0) LATENT_CUDA_CHECK(cudaMalloc(&ptr_, n_ * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { Upload(host); }
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFree(ptr_);  // no check: a destructor must not throw
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return ptr_; }

  void Upload(const std::vector<T>& host) {
    LATENT_CHECK(host.size() == n_, "DeviceBuffer::Upload: ", host.size(), " values for ", n_);
    if (n_ == 0) return;
    cudaStream_t stream = CurrentCudaStream();
    LATENT_CUDA_CHECK(
        cudaMemcpyAsync(ptr_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice, stream));
    LATENT_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  std::vector<T> Download() const {
    std::vector<T> host(n_);
    if (n_ == 0) return host;
    cudaStream_t stream = CurrentCudaStream();
    LATENT_CUDA_CHECK(
        cudaMemcpyAsync(host.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost, stream));
    LATENT_CUDA_CHECK(cudaStreamSynchronize(stream));
    return host;
  }

 private:
  size_t n_;
  T* ptr_ = nullptr;
};

}  // namespace latent::testing

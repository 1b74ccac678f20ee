// Random fills from the Philox stream (seed, offset): element i is PhiloxUniform/PhiloxNormal
// (kernels/philox.h) of index i, so the CPU and CUDA versions produce the same numbers.
#pragma once

#include <cstdint>

#include "kernels/host_device.h"

namespace latent::kernels {

// A Bernoulli draw of probability p from the uniform u in (0, 1): p = 0 always gives 0 and p = 1
// always 1. Written once for the CPU and the CUDA kernel.
template <typename T>
LATENT_HOST_DEVICE T BernoulliOf(float u, T p) {
  return static_cast<T>(u) < p ? T(1) : T(0);
}

// y: (n)
template <typename T>
void UniformCpu(int64_t n, uint64_t seed, uint64_t offset, T* y);
template <typename T>
void NormalCpu(int64_t n, uint64_t seed, uint64_t offset, T* y);
// y[i] = u_i < p[i] ? 1 : 0 (dynamic binarization of grey levels p in [0, 1]).
template <typename T>
void BernoulliCpu(int64_t n, uint64_t seed, uint64_t offset, const T* p, T* y);

void UniformCuda(int64_t n, uint64_t seed, uint64_t offset, float* y);
void NormalCuda(int64_t n, uint64_t seed, uint64_t offset, float* y);
void BernoulliCuda(int64_t n, uint64_t seed, uint64_t offset, const float* p, float* y);

}  // namespace latent::kernels

// Input corruption for denoising autoencoders, from the Philox stream (seed, offset); element i
// uses draw i, so CPU and CUDA corrupt identically. `level` is sigma for kGaussian (x plus sigma
// times a standard normal), and the fraction nu of corrupted pixels for kMask (set to 0) and
// kSaltPepper (half of them set to 0, half to 1).
#pragma once

#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/philox.h"

namespace latent::kernels {

enum class Corruption : uint8_t { kGaussian, kMask, kSaltPepper };

// Element i of the corruption, written once for the CPU and the CUDA kernel.
template <typename T>
LATENT_HOST_DEVICE T CorruptAt(Corruption kind, T level, uint64_t seed, uint64_t offset, uint64_t i,
                               T x) {
  switch (kind) {
    case Corruption::kGaussian: return x + level * PhiloxNormal<T>(seed, offset, i);
    case Corruption::kMask: return PhiloxUniform(seed, offset, i) < level ? T(0) : x;
    case Corruption::kSaltPepper: {
      const T u = PhiloxUniform(seed, offset, i);
      return u < level / 2 ? T(0) : (u < level ? T(1) : x);
    }
  }
  return x;  // unreachable: every Corruption is a case
}

// x, y: (n)
template <typename T>
void CorruptCpu(Corruption kind, int64_t n, T level, uint64_t seed, uint64_t offset, const T* x,
                T* y);
void CorruptCuda(Corruption kind, int64_t n, float level, uint64_t seed, uint64_t offset,
                 const float* x, float* y);

}  // namespace latent::kernels

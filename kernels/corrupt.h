// Input corruption for denoising autoencoders, from the Philox stream (seed, offset); element i
// uses draw i, so CPU and CUDA corrupt identically.
//
//   kGaussian     y = x + level * n_i,           n_i ~ N(0, 1)   (level = sigma)
//   kMask         y = u_i < level ? 0 : x                        (level = nu, the masked fraction)
//   kSaltPepper   y = u_i < level/2 ? 0 : u_i < level ? 1 : x    (level = nu, half salt, half pepper)
#pragma once

#include <cstdint>

namespace latent::kernels {

enum class Corruption : uint8_t { kGaussian, kMask, kSaltPepper };

// x, y: (n)
template <typename T>
void CorruptCpu(Corruption kind, int64_t n, T level, uint64_t seed, uint64_t offset, const T* x,
                T* y);
void CorruptCuda(Corruption kind, int64_t n, float level, uint64_t seed, uint64_t offset,
                 const float* x, float* y);

}  // namespace latent::kernels

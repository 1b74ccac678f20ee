// CUDA kernel for kernels/corrupt.h: the denoising autoencoders' input corruption. Element i
// uses Philox draw i exactly as kernels/cpu/corrupt.cc does, so both devices corrupt the same
// pixels (Gaussian noise up to the last bits of CUDA's logf/cosf/sinf).
//
// Versions:
//   v1: grid-stride loop, one element per thread. measured speed: not yet measured (no GPU)
#include <cstdint>

#include "kernels/cuda/runtime.h"
#include "kernels/philox.h"
#include "kernels/corrupt.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"

namespace latent::kernels {
namespace {

using cuda_detail::BlocksFor;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;

__global__ void CorruptKernel(Corruption kind, int64_t n, float level, uint64_t seed,
                              uint64_t offset, const float* x, float* y) {
  // x, y: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    const uint64_t k = static_cast<uint64_t>(i);
    switch (kind) {
      case Corruption::kGaussian:
        y[i] = x[i] + level * PhiloxNormal<float>(seed, offset, k);
        break;
      case Corruption::kMask:
        y[i] = PhiloxUniform(seed, offset, k) < level ? 0.0f : x[i];
        break;
      case Corruption::kSaltPepper: {
        const float u = PhiloxUniform(seed, offset, k);
        y[i] = u < level / 2 ? 0.0f : (u < level ? 1.0f : x[i]);
        break;
      }
    }
  }
}

}  // namespace

void CorruptCuda(Corruption kind, int64_t n, float level, uint64_t seed, uint64_t offset,
                 const float* x, float* y) {
  if (n <= 0) return;
  LaunchKernel("CorruptKernel", CorruptKernel, BlocksFor(n, kThreads), kThreads, kind, n, level,
               seed, offset, x, y);
}

}  // namespace latent::kernels

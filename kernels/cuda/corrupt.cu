// CUDA kernel for kernels/corrupt.h: the denoising autoencoders' input corruption. Element i is
// CorruptAt of Philox draw i, as in kernels/cpu/corrupt.cc, so both devices corrupt the same
// pixels (Gaussian noise up to the last bits of CUDA's logf/cosf/sinf).
//
// Versions:
//   v1: grid-stride loop, one element per thread. measured speed: not yet measured (no GPU)
#include <cstdint>

#include "kernels/corrupt.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlocksFor;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;

__global__ void CorruptKernel(Corruption kind, int64_t n, float level, uint64_t seed,
                              uint64_t offset, const float* x, float* y) {
  // x, y: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    y[i] = CorruptAt(kind, level, seed, offset, static_cast<uint64_t>(i), x[i]);
}

}  // namespace

void CorruptCuda(Corruption kind, int64_t n, float level, uint64_t seed, uint64_t offset,
                 const float* x, float* y) {
  if (n <= 0) return;
  LaunchKernel("CorruptKernel", CorruptKernel, BlocksFor(n, kThreads), kThreads, kind, n, level,
               seed, offset, x, y);
}

}  // namespace latent::kernels

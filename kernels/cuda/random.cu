// CUDA kernels for kernels/random.h: uniform, normal and Bernoulli fills from the Philox stream
// (seed, offset). Element i is PhiloxUniform / PhiloxNormal<float> of index i (kernels/philox.h),
// the same functions the CPU twins (kernels/cpu/random.cc) call, so both devices draw the same
// numbers: uniforms and Bernoulli draws bit for bit; normals up to the last bits of CUDA's
// logf/cosf/sinf against the host's.
//
// n: number of elements.
//
// Versions:
//   Uniform, Bernoulli v1: one thread per Philox block (four consecutive elements, one Philox
//      call), the last block possibly partial. measured speed: not yet measured (no GPU)
//   Normal v1: one thread per element calling PhiloxNormal<float>, the definition of the stream
//      (each block of four is computed four times; normal fills are rare: weight init, prior
//      samples). measured speed: not yet measured (no GPU)
#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace latent::kernels {
namespace {

using cuda_detail::BlocksFor;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;

// y[i] = u_i, or u_i < p[i] ? 1 : 0 when p is given (Bernoulli). One Philox call per block of
// four elements, as on the CPU.
__global__ void UniformKernel(int64_t n, uint64_t seed, uint64_t offset, const float* p, float* y) {
  // p: (n) or null, y: (n)
  const int64_t blocks = (n + 3) / 4;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t block = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; block < blocks;
       block += stride) {
    const Philox4x32 words = PhiloxBlock(seed, offset, static_cast<uint64_t>(block));
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int64_t i = block * 4 + k;
      if (i >= n) break;
      const float u = UniformFromBits(words.v[k]);
      y[i] = p == nullptr ? u : BernoulliOf(u, p[i]);
    }
  }
}

__global__ void NormalKernel(int64_t n, uint64_t seed, uint64_t offset, float* y) {
  // y: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    y[i] = PhiloxNormal<float>(seed, offset, static_cast<uint64_t>(i));
  }
}

}  // namespace

void UniformCuda(int64_t n, uint64_t seed, uint64_t offset, float* y) {
  if (n <= 0) return;
  LaunchKernel("UniformKernel", UniformKernel, BlocksFor((n + 3) / 4, kThreads), kThreads, n, seed,
               offset, nullptr, y);
}

void NormalCuda(int64_t n, uint64_t seed, uint64_t offset, float* y) {
  if (n <= 0) return;
  LaunchKernel("NormalKernel", NormalKernel, BlocksFor(n, kThreads), kThreads, n, seed, offset, y);
}

void BernoulliCuda(int64_t n, uint64_t seed, uint64_t offset, const float* p, float* y) {
  if (n <= 0) return;
  LaunchKernel("UniformKernel (Bernoulli)", UniformKernel, BlocksFor((n + 3) / 4, kThreads),
               kThreads, n, seed, offset, p, y);
}

}  // namespace latent::kernels

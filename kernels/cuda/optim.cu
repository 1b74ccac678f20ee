// CUDA kernels for kernels/optim.h: fused Adam and SGD with momentum over the one flat parameter
// buffer. The CPU twins in kernels/cpu/optim.cc are the specification; both apply the
// per-parameter updates of kernels/optim.h.
//
// n: number of parameters; p, g and the optimizer state (m, v or velocity): (n).
//
// Versions:
//   Adam v1: one launch over the whole buffer. When p, g, m and v are all 16-byte aligned, each
//      thread moves float4s (four 128-bit loads and three stores per four parameters), then the
//      last n % 4 parameters go through the scalar loop; unaligned buffers take the scalar loop
//      throughout. measured speed: not yet measured (no GPU)
//   Sgd v1: a scalar grid-stride loop. measured speed: not yet measured (no GPU)
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/error.h"
#include "kernels/optim.h"

namespace latent::kernels {
namespace {

using cuda_detail::Aligned16;
using cuda_detail::BlocksFor;
using cuda_detail::LaunchKernel;

constexpr int kThreads = 256;

__global__ void AdamKernel(int64_t n, int64_t vec_count, AdamParams hp, float* p, const float* g,
                           float* m, float* v) {
  // p, g, m, v: (n); the first 4 * vec_count of them are read as float4 (all 16-byte aligned).
  const int64_t start = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = start; j < vec_count; j += stride) {
    float4 p4 = reinterpret_cast<float4*>(p)[j];
    const float4 g4 = reinterpret_cast<const float4*>(g)[j];
    float4 m4 = reinterpret_cast<float4*>(m)[j];
    float4 v4 = reinterpret_cast<float4*>(v)[j];
    AdamStep(hp, g4.x, p4.x, m4.x, v4.x);
    AdamStep(hp, g4.y, p4.y, m4.y, v4.y);
    AdamStep(hp, g4.z, p4.z, m4.z, v4.z);
    AdamStep(hp, g4.w, p4.w, m4.w, v4.w);
    reinterpret_cast<float4*>(p)[j] = p4;
    reinterpret_cast<float4*>(m)[j] = m4;
    reinterpret_cast<float4*>(v)[j] = v4;
  }
  for (int64_t i = 4 * vec_count + start; i < n; i += stride) AdamStep(hp, g[i], p[i], m[i], v[i]);
}

__global__ void SgdKernel(int64_t n, float lr, float momentum, float* p, const float* g,
                          float* velocity) {
  // p, g, velocity: (n)
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    SgdStep(lr, momentum, g[i], p[i], velocity[i]);
}

}  // namespace

void SgdCuda(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity) {
  if (n <= 0) return;
  LaunchKernel("SgdKernel", SgdKernel, BlocksFor(n, kThreads), kThreads, n, lr, momentum, p, g,
               velocity);
}

void AdamCuda(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v) {
  LATENT_CHECK(hp.bias_correction1 > 0 && hp.bias_correction2 > 0,
               "AdamCuda: expected bias corrections 1 - beta^t > 0 (step t >= 1), found c1 = ",
               hp.bias_correction1, ", c2 = ", hp.bias_correction2);
  if (n <= 0) return;
  const bool aligned = Aligned16(p) && Aligned16(g) && Aligned16(m) && Aligned16(v);
  const int64_t vec_count = aligned ? n / 4 : 0;
  // Threads needed: one per float4, or one per scalar when the scalar loop has more to do.
  const int64_t work = std::max(vec_count, n - 4 * vec_count);
  LaunchKernel("AdamKernel", AdamKernel, BlocksFor(work, kThreads), kThreads, n, vec_count, hp, p,
               g, m, v);
}

}  // namespace latent::kernels

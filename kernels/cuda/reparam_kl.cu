// CUDA kernels for kernels/reparam_kl.h: the VAE's reparameterization and KL term, fused.
// Float only; the CPU twins in kernels/cpu/reparam_kl.cc are the specification.
//
// B: batch rows; D: latent dimensions. mu, logvar: (B, D), the encoder's Gaussian q(z|x).
// eps[b, d] = PhiloxNormal<float>(seed, offset, b*D + d) (kernels/philox.h), the same counter as on
// the CPU: the backward kernel regenerates it instead of reading a stored (B, D) copy.
//
// Versions:
//   v1 (forward and backward): one warp per row, lanes stride along D. Forward reads mu and
//      logvar once and writes z and the row's KL; the KL terms go into a double per lane and a
//      fixed shuffle tree adds the lanes (no atomics: bitwise identical run to run). Each element
//      computes its own Philox block (the block of four is recomputed by up to four lanes): with
//      D = 20 the kernel is launch-bound, so simplicity wins. Backward uses the same layout, so
//      that a lane knows its row (for dkl[b]) without dividing a flat index.
//      measured speed: not yet measured (no GPU)
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/runtime.h"
#include "kernels/reparam_kl.h"

namespace latent::kernels {
namespace {

using cuda_detail::LaunchKernel;
using cuda_detail::RowBlocks;
using cuda_detail::WarpSum;

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;  // rows per block

__global__ void __launch_bounds__(kThreads)
    ReparamKlForwardKernel(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                           const float* logvar, float* z, float* kl) {
  // mu, logvar, z: (B, D); kl: (B). The row loop is uniform across a warp, as the shuffle needs.
  const int lane = threadIdx.x % 32;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; b < B;
       b += static_cast<int64_t>(gridDim.x) * kWarps) {
    double kl_sum = 0.0;  // sum_d KlTerm, as on the CPU
    for (int64_t d = lane; d < D; d += 32) {
      const int64_t i = b * D + d;
      kl_sum += ReparamKlForwardAt(seed, offset, i, mu[i], logvar[i], z[i]);
    }
    kl_sum = WarpSum(kl_sum);
    if (lane == 0) kl[b] = KlOfTermSum<float>(kl_sum);
  }
}

__global__ void __launch_bounds__(kThreads)
    ReparamKlBackwardKernel(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                            const float* logvar, const float* dz, const float* dkl, float* dmu,
                            float* dlogvar) {
  // mu, logvar, dz, dmu, dlogvar: (B, D); dkl: (B). A null dz or dkl adds nothing, and with dz
  // null the noise is never generated.
  const int lane = threadIdx.x % 32;
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; b < B;
       b += static_cast<int64_t>(gridDim.x) * kWarps) {
    for (int64_t d = lane; d < D; d += 32) {
      const int64_t i = b * D + d;
      ReparamKlBackwardAt(seed, offset, i, mu[i], logvar[i], dz != nullptr ? dz + i : nullptr,
                          dkl != nullptr ? dkl + b : nullptr, dmu[i], dlogvar[i]);
    }
  }
}

}  // namespace

void ReparamKlForwardCuda(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                          const float* logvar, float* z, float* kl) {
  if (B <= 0) return;
  D = std::max<int64_t>(D, 0);  // D == 0 still launches: each kl[b] must become 0
  LaunchKernel("ReparamKlForwardKernel", ReparamKlForwardKernel, RowBlocks(B, kWarps), kThreads, B,
               D, seed, offset, mu, logvar, z, kl);
}

void ReparamKlBackwardCuda(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                           const float* logvar, const float* dz, const float* dkl, float* dmu,
                           float* dlogvar) {
  if (B <= 0 || D <= 0) return;
  LaunchKernel("ReparamKlBackwardKernel", ReparamKlBackwardKernel, RowBlocks(B, kWarps), kThreads,
               B, D, seed, offset, mu, logvar, dz, dkl, dmu, dlogvar);
}

}  // namespace latent::kernels

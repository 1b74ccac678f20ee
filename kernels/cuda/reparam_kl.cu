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

#include "kernels/cuda/runtime.h"
#include "kernels/philox.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
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
    double kl_sum = 0.0;  // sum_d (1 + logvar - mu^2 - e^logvar), as on the CPU
    for (int64_t d = lane; d < D; d += 32) {
      const int64_t i = b * D + d;
      const float m = mu[i], lv = logvar[i];
      const float eps = PhiloxNormal<float>(seed, offset, static_cast<uint64_t>(i));
      const float sigma = expf(lv / 2.0f);
      z[i] = m + sigma * eps;
      kl_sum += 1.0f + lv - m * m - expf(lv);  // the term in float, as the CPU computes it in T
    }
    kl_sum = WarpSum(kl_sum);
    if (lane == 0) kl[b] = static_cast<float>(-0.5 * kl_sum);
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
      float grad_mu = 0.0f, grad_logvar = 0.0f;
      if (dz != nullptr) {  // z = mu + e^(logvar/2) eps
        const float eps = PhiloxNormal<float>(seed, offset, static_cast<uint64_t>(i));
        grad_mu += dz[i];
        grad_logvar += dz[i] * eps * expf(logvar[i] / 2.0f) / 2.0f;
      }
      if (dkl != nullptr) {  // kl = -1/2 sum (1 + logvar - mu^2 - e^logvar)
        grad_mu += dkl[b] * mu[i];
        grad_logvar += dkl[b] * (expf(logvar[i]) - 1.0f) / 2.0f;
      }
      // `=`, not `+=`: the kernel writes its gradients; the autograd engine accumulates them.
      dmu[i] = grad_mu;
      dlogvar[i] = grad_logvar;
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

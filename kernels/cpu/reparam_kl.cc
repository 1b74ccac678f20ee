// CPU reference for kernels/reparam_kl.h: the VAE's reparameterization and KL term, fused.
//
// B: batch rows; D: latent dimensions. mu, logvar: (B, D), the encoder's Gaussian q(z|x).
// The noise eps[b, d] is element b*D + d of the Philox normal stream (seed, offset); the backward
// pass regenerates it from the same counter instead of reading a stored copy, so forward and
// backward (and the CPU and a GPU) see the same eps without a (B, D) buffer between them.
#include "kernels/reparam_kl.h"

#include <cmath>

#include "kernels/philox.h"

namespace latent::kernels {
namespace {

// One Philox block plus a log, a sqrt and a sin or cos per element makes each element costly,
// so threads pay off on smaller sizes than in the elementwise kernels.
constexpr int64_t kParallelMin = int64_t{1} << 12;

}  // namespace

template <typename T>
void ReparamKlForwardCpu(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const T* mu,
                         const T* logvar, T* z, T* kl) {
  // mu, logvar, z: (B, D); kl: (B). A thread owns whole rows, so kl[b] sums in a fixed order.
#pragma omp parallel for schedule(static) if (B * D >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    double kl_sum = 0;  // sum_d (1 + logvar - mu^2 - e^logvar), accumulated in double
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = b * D + d;
      const T eps = PhiloxNormal<T>(seed, offset, static_cast<uint64_t>(i));
      const T sigma = std::exp(logvar[i] / T(2));
      z[i] = mu[i] + sigma * eps;
      kl_sum += T(1) + logvar[i] - mu[i] * mu[i] - std::exp(logvar[i]);
    }
    kl[b] = static_cast<T>(-0.5 * kl_sum);
  }
}

template <typename T>
void ReparamKlBackwardCpu(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const T* mu,
                          const T* logvar, const T* dz, const T* dkl, T* dmu, T* dlogvar) {
  // mu, logvar, dz, dmu, dlogvar: (B, D); dkl: (B). dz or dkl may be null: that path adds
  // nothing, and its noise is then never generated.
#pragma omp parallel for schedule(static) if (B * D >= kParallelMin)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = b * D + d;
      T grad_mu = 0, grad_logvar = 0;
      if (dz != nullptr) {  // z = mu + e^(logvar/2) eps
        const T eps = PhiloxNormal<T>(seed, offset, static_cast<uint64_t>(i));
        grad_mu += dz[i];
        grad_logvar += dz[i] * eps * std::exp(logvar[i] / T(2)) / T(2);
      }
      if (dkl != nullptr) {  // kl = -1/2 sum (1 + logvar - mu^2 - e^logvar)
        grad_mu += dkl[b] * mu[i];
        grad_logvar += dkl[b] * (std::exp(logvar[i]) - T(1)) / T(2);
      }
      // `=`, not `+=`: the kernel writes its gradients; the autograd engine accumulates them.
      dmu[i] = grad_mu;
      dlogvar[i] = grad_logvar;
    }
  }
}

template void ReparamKlForwardCpu<float>(int64_t, int64_t, uint64_t, uint64_t, const float*,
                                         const float*, float*, float*);
template void ReparamKlForwardCpu<double>(int64_t, int64_t, uint64_t, uint64_t, const double*,
                                          const double*, double*, double*);
template void ReparamKlBackwardCpu<float>(int64_t, int64_t, uint64_t, uint64_t, const float*,
                                          const float*, const float*, const float*, float*,
                                          float*);
template void ReparamKlBackwardCpu<double>(int64_t, int64_t, uint64_t, uint64_t, const double*,
                                           const double*, const double*, const double*, double*,
                                           double*);

}  // namespace latent::kernels

// CPU reference for kernels/reparam_kl.h: the VAE's reparameterization and KL term, fused.
//
// B: batch rows; D: latent dimensions. mu, logvar: (B, D), the encoder's Gaussian q(z|x).
// The noise eps[b, d] is element b*D + d of the Philox normal stream (seed, offset); the backward
// pass regenerates it from the same counter instead of reading a stored copy, so forward and
// backward (and the CPU and a GPU) see the same eps without a (B, D) buffer between them.
#include "kernels/reparam_kl.h"

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
    double kl_sum = 0;  // sum_d KlTerm
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = b * D + d;
      kl_sum += ReparamKlForwardAt(seed, offset, i, mu[i], logvar[i], z[i]);
    }
    kl[b] = KlOfTermSum<T>(kl_sum);
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
      ReparamKlBackwardAt(seed, offset, i, mu[i], logvar[i], dz != nullptr ? dz + i : nullptr,
                          dkl != nullptr ? dkl + b : nullptr, dmu[i], dlogvar[i]);
    }
  }
}

template void ReparamKlForwardCpu<float>(int64_t, int64_t, uint64_t, uint64_t, const float*,
                                         const float*, float*, float*);
template void ReparamKlForwardCpu<double>(int64_t, int64_t, uint64_t, uint64_t, const double*,
                                          const double*, double*, double*);
template void ReparamKlBackwardCpu<float>(int64_t, int64_t, uint64_t, uint64_t, const float*,
                                          const float*, const float*, const float*, float*, float*);
template void ReparamKlBackwardCpu<double>(int64_t, int64_t, uint64_t, uint64_t, const double*,
                                           const double*, const double*, const double*, double*,
                                           double*);

}  // namespace latent::kernels

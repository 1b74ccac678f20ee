// The fused reparameterize + KL kernel of the VAE.
//
// Forward, one pass over mu and logvar (B, D):
//   eps[b,d] = PhiloxNormal(seed, offset, b*D + d)             (kernels/philox.h)
//   z[b,d]   = mu + exp(logvar / 2) * eps
//   kl[b]    = -1/2 sum_d (1 + logvar - mu^2 - exp(logvar))    (KL(q(z|x) || N(0, I)) per row)
// Backward, from dz (B, D) and dkl (B) (dkl is the KL weight when loss = w * sum_b kl[b]):
//   dmu     = dz + dkl * mu
//   dlogvar = dz * eps * exp(logvar / 2) / 2 + dkl * (exp(logvar) - 1) / 2
// eps is regenerated from the counter, never stored.
#pragma once

#include <cstdint>

namespace latent::kernels {

// mu, logvar, z: (B, D); kl: (B)
template <typename T>
void ReparamKlForwardCpu(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const T* mu,
                         const T* logvar, T* z, T* kl);
// dz (B, D) or null when no gradient reached z; dkl (B) or null when none reached kl.
// dmu, dlogvar: (B, D), written.
template <typename T>
void ReparamKlBackwardCpu(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const T* mu,
                          const T* logvar, const T* dz, const T* dkl, T* dmu, T* dlogvar);

void ReparamKlForwardCuda(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                          const float* logvar, float* z, float* kl);
void ReparamKlBackwardCuda(int64_t B, int64_t D, uint64_t seed, uint64_t offset, const float* mu,
                           const float* logvar, const float* dz, const float* dkl, float* dmu,
                           float* dlogvar);

}  // namespace latent::kernels

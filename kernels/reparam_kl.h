// The fused reparameterize + KL kernel of the VAE.
//
// Forward, one pass over the encoder's mu and logvar (B, D): the noise eps[b,d] is element b*D + d
// of the Philox normal stream (seed, offset) (kernels/philox.h); each element's z and KL term, and
// each row's KL(q(z|x) || N(0, I)), kl (B), come from the formulas below.
// Backward, from dz (B, D) and dkl (B) (dkl is the KL weight when loss = w * sum_b kl[b]): dmu and
// dlogvar, each the sum of its share through z and its share through kl. eps is regenerated from
// the counter, never stored.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/philox.h"

namespace latent::kernels {

// The formulas, written once for the CPU kernels (kernels/cpu/reparam_kl.cc), the CUDA kernels
// (kernels/cuda/reparam_kl.cu) and the gradient study (tools/eval/grad_study.cc), which shows
// each share on its own.

// A sample of N(mu, exp(logvar)) that is differentiable in mu and logvar: the reparameterization.
template <typename T>
LATENT_HOST_DEVICE T Reparameterize(T mu, T logvar, T eps) {
  using std::exp;
  return mu + exp(logvar / T(2)) * eps;
}
// The term of element d in kl[b] = -1/2 sum_d KlTerm(mu, logvar), and kl[b] from that sum, which
// both devices accumulate in double.
template <typename T>
LATENT_HOST_DEVICE T KlTerm(T mu, T logvar) {
  using std::exp;
  return T(1) + logvar - mu * mu - exp(logvar);
}
template <typename T>
LATENT_HOST_DEVICE T KlOfTermSum(double term_sum) {
  return static_cast<T>(-0.5 * term_sum);
}

// The gradients: dlogvar's share through z (dmu's is dz itself), and dmu's and dlogvar's shares
// through kl.
template <typename T>
LATENT_HOST_DEVICE T ReparamGradLogvar(T logvar, T eps, T dz) {
  using std::exp;
  return dz * eps * exp(logvar / T(2)) / T(2);
}
template <typename T>
LATENT_HOST_DEVICE T KlGradMu(T mu, T dkl) {
  return dkl * mu;
}
template <typename T>
LATENT_HOST_DEVICE T KlGradLogvar(T logvar, T dkl) {
  using std::exp;
  return dkl * (exp(logvar) - T(1)) / T(2);
}

// Element i = b*D + d of the forward pass: writes z and returns KlTerm.
template <typename T>
LATENT_HOST_DEVICE T ReparamKlForwardAt(uint64_t seed, uint64_t offset, int64_t i, T mu, T logvar,
                                        T& z) {
  const T eps = PhiloxNormal<T>(seed, offset, static_cast<uint64_t>(i));
  z = Reparameterize(mu, logvar, eps);
  return KlTerm(mu, logvar);
}

// Element i = b*D + d of the backward pass. dz_i points to dz[i], or is null when no gradient
// reached z; dkl_b points to dkl[b], or is null when none reached kl. A null path adds nothing,
// and without dz the noise is never generated.
template <typename T>
LATENT_HOST_DEVICE void ReparamKlBackwardAt(uint64_t seed, uint64_t offset, int64_t i, T mu,
                                            T logvar, const T* dz_i, const T* dkl_b, T& dmu,
                                            T& dlogvar) {
  T grad_mu = 0, grad_logvar = 0;
  if (dz_i != nullptr) {
    const T eps = PhiloxNormal<T>(seed, offset, static_cast<uint64_t>(i));
    grad_mu += *dz_i;
    grad_logvar += ReparamGradLogvar(logvar, eps, *dz_i);
  }
  if (dkl_b != nullptr) {
    grad_mu += KlGradMu(mu, *dkl_b);
    grad_logvar += KlGradLogvar(logvar, *dkl_b);
  }
  // `=`, not `+=`: the kernel writes its gradients; the autograd engine accumulates them.
  dmu = grad_mu;
  dlogvar = grad_logvar;
}

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

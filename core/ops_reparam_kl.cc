// The VAE's fused reparameterize + KL op (formulas in kernels/reparam_kl.h). Its backward gets
// the gradients of both outputs, either of which may be missing (e.g. a loss that uses only z),
// and regenerates the noise from (seed, offset) rather than saving it.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/reparam_kl.h"

namespace latent {

ReparamKlResult ReparamKl(const Tensor& mu, const Tensor& logvar, uint64_t seed, uint64_t offset) {
  CheckNDim("reparam_kl", mu, 2, "mu");
  CheckNDim("reparam_kl", logvar, 2, "logvar");
  CheckSameShape("reparam_kl", mu, logvar);
  CheckSameDevice("reparam_kl", mu, logvar);
  CheckSameDType("reparam_kl", mu, logvar);
  const int64_t B = mu.size(0), D = mu.size(1);
  ReparamKlResult r{Tensor::Empty({B, D}, mu.dtype(), mu.device()),
                    Tensor::Empty({B}, mu.dtype(), mu.device())};
  Dispatch("reparam_kl", mu,
           LATENT_KERNELS(kernels::ReparamKlForwardCpu, kernels::ReparamKlForwardCuda),
           [&](auto reparam_kl, auto zero) {
             using T = decltype(zero);
             reparam_kl(B, D, seed, offset, mu.data<T>(), logvar.data<T>(), r.z.data<T>(),
                        r.kl.data<T>());
           });
  Record(OpKind::kReparamKl, {mu, logvar}, {&r.z, &r.kl},
         [mu = Detach(mu), lv = Detach(logvar), B, D, seed,
          offset](const std::vector<Tensor>& g) {
           const Tensor& dz = g[0];   // (B, D) or undefined
           const Tensor& dkl = g[1];  // (B) or undefined
           Tensor dmu = Tensor::Empty(mu.shape(), mu.dtype(), mu.device());
           Tensor dlv = Tensor::Empty(lv.shape(), lv.dtype(), lv.device());
           Dispatch("reparam_kl backward", mu,
                    LATENT_KERNELS(kernels::ReparamKlBackwardCpu, kernels::ReparamKlBackwardCuda),
                    [&](auto reparam_kl_backward, auto zero) {
                      using T = decltype(zero);
                      reparam_kl_backward(B, D, seed, offset, mu.data<T>(), lv.data<T>(),
                                          dz.defined() ? dz.data<T>() : nullptr,
                                          dkl.defined() ? dkl.data<T>() : nullptr, dmu.data<T>(),
                                          dlv.data<T>());
                    });
           return std::vector<Tensor>{dmu, dlv};
         });
  return r;
}

}  // namespace latent

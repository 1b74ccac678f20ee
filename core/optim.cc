#include "core/optim.h"

#include <cmath>

#include "core/dispatch.h"
#include "kernels/optim.h"

namespace latent {

namespace {
void CheckHyper(const char* what, double value, double lo, double hi) {
  LATENT_CHECK(std::isfinite(value) && value >= lo && value <= hi, what, " must be in [", lo, ", ",
               hi, "], found ", value);
}
void CheckF32(Parameters& params) {
  LATENT_CHECK(params.flat_values().dtype() == DType::kF32, "optimizers update f32 parameters, "
               "found ", DTypeName(params.flat_values().dtype()));
}
}  // namespace

Sgd::Sgd(Parameters& params, double lr, double momentum)
    : Optimizer(params), lr_(lr), momentum_(momentum) {
  LATENT_CHECK(params.allocated(), "SGD needs allocated parameters");
  CheckF32(params);
  CheckHyper("learning rate", lr, 0.0, 1e6);
  CheckHyper("momentum", momentum, 0.0, 1.0);
  velocity_ = Tensor::Zeros(params.flat_values().shape(), DType::kF32, params.device());
}

void Sgd::Step() {
  Tensor& p = params_.flat_values();
  const Tensor& g = params_.flat_grads();
  Dispatch<float>("sgd", p, LATENT_KERNELS(kernels::SgdCpu, kernels::SgdCuda), [&](auto sgd, auto) {
    sgd(p.numel(), float(lr_), float(momentum_), p.data<float>(), g.data<float>(),
        velocity_.data<float>());
  });
}

Adam::Adam(Parameters& params, double lr, double beta1, double beta2, double eps,
           double weight_decay)
    : Optimizer(params),
      lr_(lr),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay) {
  LATENT_CHECK(params.allocated(), "Adam needs allocated parameters");
  CheckF32(params);
  CheckHyper("learning rate", lr, 0.0, 1e6);
  CheckHyper("beta1", beta1, 0.0, 0.999999);
  CheckHyper("beta2", beta2, 0.0, 0.999999999);
  // eps = 0 would divide 0 by 0 for a parameter whose gradient has always been zero, and would
  // let the CPU kernel's flushing of subnormal moments (kernels/optim.h) divide by 0.
  LATENT_CHECK(eps > 0.0 && eps <= 1.0, "eps must be in (0, 1], found ", eps);
  CheckHyper("weight decay", weight_decay, 0.0, 1.0);
  m_ = Tensor::Zeros(params.flat_values().shape(), DType::kF32, params.device());
  v_ = Tensor::Zeros(params.flat_values().shape(), DType::kF32, params.device());
}

void Adam::Step() {
  ++t_;
  // Bias corrections computed in double on the host: beta^t underflows gracefully and the kernel
  // receives two ready factors instead of recomputing pow() per element.
  const kernels::AdamParams hp{float(lr_),
                               float(beta1_),
                               float(beta2_),
                               float(eps_),
                               float(1.0 - std::pow(beta1_, double(t_))),
                               float(1.0 - std::pow(beta2_, double(t_))),
                               float(1.0 - lr_ * weight_decay_)};
  Tensor& p = params_.flat_values();
  const Tensor& g = params_.flat_grads();
  Dispatch<float>(
      "adam", p, LATENT_KERNELS(kernels::AdamCpu, kernels::AdamCuda), [&](auto adam, auto) {
        adam(p.numel(), hp, p.data<float>(), g.data<float>(), m_.data<float>(), v_.data<float>());
      });
}

void Adam::set_lr(double lr) {
  CheckHyper("learning rate", lr, 0.0, 1e6);
  lr_ = lr;
}

void Adam::Restore(const std::vector<float>& m, const std::vector<float>& v, int64_t steps,
                   const std::string& source) {
  const int64_t n = m_.numel();
  LATENT_CHECK(static_cast<int64_t>(m.size()) == n && static_cast<int64_t>(v.size()) == n, source,
               ": expected Adam moments of ", n, " values (the parameter buffer), found ",
               m.size(), " and ", v.size());
  LATENT_CHECK(steps >= 0, source, ": expected a step count >= 0, found ", steps);
  for (int64_t i = 0; i < n; ++i) {
    LATENT_CHECK(std::isfinite(m[i]) && std::isfinite(v[i]) && v[i] >= 0.0f, source,
                 ": expected finite Adam moments (the second one >= 0), found m = ", m[i],
                 ", v = ", v[i], " at index ", i);
  }
  m_.CopyFrom(Tensor::FromVector(m, {n}));
  v_.CopyFrom(Tensor::FromVector(v, {n}));
  t_ = steps;
}

}  // namespace latent

#include "core/gradcheck.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"

namespace latent {

std::vector<GradCheckEntry> GradCheck(const std::function<Tensor()>& loss,
                                      const std::vector<Tensor>& inputs,
                                      const std::vector<std::string>& names, double atol,
                                      double rtol, double h) {
  for (const Tensor& in : inputs) {
    LATENT_CHECK(in.dtype() == DType::kF64 && in.device().is_cpu(),
                 "gradient checks need f64 CPU inputs, found ", DTypeName(in.dtype()), " on ",
                 in.device().ToString());
    LATENT_CHECK(in.requires_grad() && !in.grad_fn(), "gradient checks need leaf inputs that "
                 "require gradients");
  }
  std::vector<Tensor> analytic;
  {
    for (Tensor in : inputs) in.ZeroGrad();
    Tensor l = loss();
    l.Backward();
    for (const Tensor& in : inputs)
      analytic.push_back(in.grad().defined() ? in.grad().Clone()
                                             : Tensor::Zeros(in.shape(), DType::kF64));
  }
  NoGradGuard no_grad;
  std::vector<GradCheckEntry> results;
  for (size_t k = 0; k < inputs.size(); ++k) {
    GradCheckEntry e;
    e.name = k < names.size() ? names[k] : "input " + std::to_string(k);
    e.passed = true;
    double* x = inputs[k].data<double>();
    const double* g = analytic[k].data<double>();
    for (int64_t i = 0; i < inputs[k].numel(); ++i) {
      const double saved = x[i];
      x[i] = saved + h;
      const double up = loss().item();
      x[i] = saved - h;
      const double down = loss().item();
      x[i] = saved;
      const double numeric = (up - down) / (2 * h);
      const double err = std::abs(g[i] - numeric);
      e.max_abs_error = std::max(e.max_abs_error, err);
      e.max_rel_error = std::max(e.max_rel_error, err / std::max(std::abs(numeric), 1e-3));
      if (!(err <= atol + rtol * std::abs(numeric))) e.passed = false;  // NaN fails too
    }
    results.push_back(e);
  }
  return results;
}

}  // namespace latent

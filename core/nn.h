// Layers: small objects that declare their parameters in a model's Parameters and apply ops.
#pragma once

#include <cmath>
#include <string>

#include "core/ops.h"
#include "core/parameters.h"

namespace latent {

// y = x W^T + b, initialized like torch.nn.Linear: W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
class LinearLayer {
 public:
  LinearLayer() = default;
  LinearLayer(Parameters& params, const std::string& name, int64_t in, int64_t out)
      : params_(&params), in_(in), out_(out) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    weight_ = params.Declare(name + ".weight", {out, in}, Init::Uniform(bound));
    bias_ = params.Declare(name + ".bias", {out}, Init::Uniform(bound));
  }
  Tensor operator()(const Tensor& x) const { return Linear(x, weight(), bias()); }
  const Tensor& weight() const { return (*params_)[weight_]; }
  const Tensor& bias() const { return (*params_)[bias_]; }
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

 private:
  Parameters* params_ = nullptr;
  int64_t in_ = 0, out_ = 0;
  int weight_ = -1, bias_ = -1;
};

}  // namespace latent

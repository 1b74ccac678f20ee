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
      : LinearLayer(params, name, in, out, Init::Uniform(1.0 / std::sqrt(static_cast<double>(in))),
                    Init::Uniform(1.0 / std::sqrt(static_cast<double>(in)))) {}
  // With chosen initializations (e.g. He's for a deep ReLU stack).
  LinearLayer(Parameters& params, const std::string& name, int64_t in, int64_t out, Init weight,
              Init bias)
      : params_(&params), in_(in), out_(out) {
    weight_ = params.Declare(name + ".weight", {out, in}, weight);
    bias_ = params.Declare(name + ".bias", {out}, bias);
  }
  Tensor operator()(const Tensor& x) const { return Linear(x, weight(), bias()); }
  // act(x W^T + b) with the activation in the GEMM's epilogue (one kernel, same numbers).
  Tensor operator()(const Tensor& x, Activation act) const {
    return act == Activation::kIdentity ? Linear(x, weight(), bias())
                                        : LinearAct(x, weight(), bias(), act);
  }
  const Tensor& weight() const { return (*params_)[weight_]; }
  const Tensor& bias() const { return (*params_)[bias_]; }
  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

 private:
  Parameters* params_ = nullptr;
  int64_t in_ = 0, out_ = 0;
  int weight_ = -1, bias_ = -1;
};

// Square-kernel convolution, initialized like torch.nn.Conv2d: weight (out, in, k, k) and bias ~
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in k k (what one output pixel sums over).
class Conv2dLayer {
 public:
  Conv2dLayer() = default;
  Conv2dLayer(Parameters& params, const std::string& name, int64_t in_channels,
              int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding)
      : params_(&params), stride_(stride), padding_(padding) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_channels * kernel * kernel));
    weight_ = params.Declare(name + ".weight", {out_channels, in_channels, kernel, kernel},
                             Init::Uniform(bound));
    bias_ = params.Declare(name + ".bias", {out_channels}, Init::Uniform(bound));
  }
  Tensor operator()(const Tensor& x) const {
    return Conv2d(x, weight(), bias(), stride_, padding_);
  }
  const Tensor& weight() const { return (*params_)[weight_]; }
  const Tensor& bias() const { return (*params_)[bias_]; }

 private:
  Parameters* params_ = nullptr;
  int64_t stride_ = 1, padding_ = 0;
  int weight_ = -1, bias_ = -1;
};

// Square-kernel transposed convolution, initialized like torch.nn.ConvTranspose2d: weight
// (in, out, k, k) and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where PyTorch computes fan_in
// from the weight's dimension 1 as for a conv, i.e. fan_in = out k k.
class ConvTranspose2dLayer {
 public:
  ConvTranspose2dLayer() = default;
  ConvTranspose2dLayer(Parameters& params, const std::string& name, int64_t in_channels,
                       int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding,
                       int64_t output_padding = 0)
      : params_(&params), stride_(stride), padding_(padding), output_padding_(output_padding) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(out_channels * kernel * kernel));
    weight_ = params.Declare(name + ".weight", {in_channels, out_channels, kernel, kernel},
                             Init::Uniform(bound));
    bias_ = params.Declare(name + ".bias", {out_channels}, Init::Uniform(bound));
  }
  Tensor operator()(const Tensor& x) const {
    return ConvTranspose2d(x, weight(), bias(), stride_, padding_, output_padding_);
  }
  const Tensor& weight() const { return (*params_)[weight_]; }
  const Tensor& bias() const { return (*params_)[bias_]; }

 private:
  Parameters* params_ = nullptr;
  int64_t stride_ = 1, padding_ = 0, output_padding_ = 0;
  int weight_ = -1, bias_ = -1;
};

}  // namespace latent

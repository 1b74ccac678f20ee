// The plain undercomplete autoencoder: x -> ReLU(W1 x + b1) = h (the code) -> logits W2 h + b2,
// trained with binary cross-entropy summed over pixels (pixels as Bernoulli means).
//
//   loss = sum_pixels BCE(logits, x)      (reported: recon; sqerr = sum_pixels (x - s(logits))^2)
#include "core/nn.h"
#include "core/ops.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class Ae : public OneLayerAe {
 public:
  Ae(int64_t features, int64_t code)
      : OneLayerAe(features, code, Activation::kRelu) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    const Tensor logits = decoder_(Code(x));
    Tensor recon = Sum(BceWithLogits(logits, x));
    return {recon, {{"recon", recon}, {"sqerr", SquaredError(logits, x)}}};
  }
};

}  // namespace

std::vector<HyperParamSpec> AeConfig::Specs() {
  const AeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim), "size of the code"}};
}

AeConfig AeConfig::FromValues(const HyperParams& values) {
  AeConfig c;
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  return c;
}

std::unique_ptr<Model> MakeAe(const AeConfig& config, const ModelShape& shape) {
  return std::make_unique<Ae>(shape.features(), config.latent_dim);
}

ModelInfo AeInfo() {
  return {"ae", "undercomplete autoencoder 784-32-784 (ReLU code, Bernoulli/BCE decoder)",
          AeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeAe(AeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

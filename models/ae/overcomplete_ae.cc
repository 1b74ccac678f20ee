// The overcomplete autoencoder: a code wider than the input (1024 > 784), which could copy x
// through unchanged unless a regularizer forbids it. Two classic ones:
//
//   h = ReLU(W1 x~ + b1),  logits = W2 h + b2
//   sparse:  x~ = x;               loss = sum_pixels BCE(logits, x) + lambda sum_j |h_j|
//   noise:   x~ = x + sigma n;     loss = sum_pixels BCE(logits, x)     (n ~ N(0, I), clean target)
//
// The L1 activity penalty lets only a few units fire per image; the Gaussian input noise makes the
// identity a bad map (it would copy the noise), so the model must learn to remove it.
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class OvercompleteAe : public OneLayerAe {
 public:
  OvercompleteAe(int64_t features, int64_t code, bool noise, double lambda, double sigma)
      : OneLayerAe(features, code, Activation::kRelu),
        noise_(noise), lambda_(lambda), sigma_(sigma) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext& ctx) override {
    const Tensor input =
        noise_ ? Corrupt(x, kernels::Corruption::kGaussian, sigma_, ctx.seed, CorruptionOffset(ctx))
               : x;
    const Tensor h = Code(input);
    const Tensor logits = decoder_(h);
    Tensor recon = Sum(BceWithLogits(logits, x));
    Tensor sqerr = SquaredError(logits, x);
    if (noise_) return {recon, {{"recon", recon}, {"sqerr", sqerr}}};
    Tensor sparsity = Scale(Sum(Abs(h)), lambda_);
    return {Add(recon, sparsity), {{"recon", recon}, {"sparsity", sparsity}, {"sqerr", sqerr}}};
  }

 private:
  bool noise_;
  double lambda_, sigma_;
};

const std::vector<Choice<OvercompleteAeConfig::Regularizer>> kRegularizers = {
    {"sparse", OvercompleteAeConfig::kSparse}, {"noise", OvercompleteAeConfig::kNoise}};

}  // namespace

std::vector<HyperParamSpec> OvercompleteAeConfig::Specs() {
  const OvercompleteAeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim), "size of the code (wider than the input)"},
          {"regularizer", HyperParamText(d.regularizer, kRegularizers),
           "sparse (L1 penalty on the code) or noise (Gaussian input noise, clean target)"},
          {"lambda", HyperParamText(d.lambda), "weight of the L1 activity penalty (sparse)"},
          {"sigma", HyperParamText(d.sigma), "standard deviation of the input noise (noise)"}};
}

OvercompleteAeConfig OvercompleteAeConfig::FromValues(const HyperParams& values) {
  OvercompleteAeConfig c;
  c.regularizer = values.GetChoice("regularizer", kRegularizers);
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  c.lambda = values.GetDouble("lambda", 0.0, 1e6);
  c.sigma = values.GetDouble("sigma", 0.0, 100.0);
  return c;
}

std::unique_ptr<Model> MakeOvercompleteAe(const OvercompleteAeConfig& config,
                                          const ModelShape& shape) {
  return std::make_unique<OvercompleteAe>(shape.features(), config.latent_dim,
                                          config.regularizer == OvercompleteAeConfig::kNoise,
                                          config.lambda, config.sigma);
}

ModelInfo OvercompleteAeInfo() {
  return {"overcomplete-ae",
          "overcomplete autoencoder 784-1024-784, ReLU code kept from the identity by an L1 "
          "activity penalty or input noise",
          OvercompleteAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeOvercompleteAe(OvercompleteAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

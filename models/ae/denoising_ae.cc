// The denoising autoencoder of Vincent et al. (2008, 2010): reconstruct the clean image from a
// corrupted copy, so the code must capture structure that lets it undo the corruption.
//
//   x~ = q(x~ | x)   gaussian: x + sigma n;  mask: each pixel set to 0 with probability nu;
//                    salt-pepper: each pixel set to 0 or 1 (equally likely) with probability nu
//   h = ReLU(W1 x~ + b1),  logits = W2 h + b2
//   loss = sum_pixels BCE(logits, x)          (against the CLEAN x, never x~)
//
// The papers use sigmoid codes; with Adam a sigmoid layer lingers for hundreds of steps at the
// mean image before it reconstructs digits, where a ReLU code (as in `ae`) starts at once.
// The corruption is a Philox draw fixed by (seed, step) (models/ae/reconstruction.h). Evaluation
// scores the same denoising objective; Encode and Reconstruct read the clean input.
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class DenoisingAe : public OneLayerAe {
 public:
  DenoisingAe(int64_t features, int64_t code, kernels::Corruption noise, double level)
      : OneLayerAe(features, code, Activation::kRelu), noise_(noise), level_(level) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext& ctx) override {
    const Tensor corrupted = Corrupt(x, noise_, level_, ctx.seed, CorruptionOffset(ctx));
    const Tensor logits = decoder_(Code(corrupted));
    Tensor recon = Sum(BceWithLogits(logits, x));
    return {recon, {{"recon", recon}, {"sqerr", SquaredError(logits, x)}}};
  }

 private:
  kernels::Corruption noise_;
  double level_;
};

const std::vector<Choice<kernels::Corruption>> kNoises = {
    {"gaussian", kernels::Corruption::kGaussian},
    {"mask", kernels::Corruption::kMask},
    {"salt-pepper", kernels::Corruption::kSaltPepper}};

}  // namespace

std::vector<HyperParamSpec> DenoisingAeConfig::Specs() {
  const DenoisingAeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim), "number of hidden (code) units"},
          {"noise", HyperParamText(d.noise, kNoises),
           "corruption: gaussian (additive), mask (pixels zeroed) or salt-pepper (pixels set to "
           "0 or 1)"},
          {"noise-level", HyperParamText(d.noise_level),
           "sigma of gaussian noise, or the corrupted fraction nu"}};
}

DenoisingAeConfig DenoisingAeConfig::FromValues(const HyperParams& values) {
  DenoisingAeConfig c;
  c.noise = values.GetChoice("noise", kNoises);
  // A fraction of the pixels is at most all of them; Gaussian noise only needs a bound.
  const double max_level = c.noise == kernels::Corruption::kGaussian ? 100.0 : 1.0;
  c.noise_level = values.GetDouble("noise-level", 0.0, max_level);
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  return c;
}

std::unique_ptr<Model> MakeDenoisingAe(const DenoisingAeConfig& config, const ModelShape& shape) {
  return std::make_unique<DenoisingAe>(shape.features(), config.latent_dim, config.noise,
                                       config.noise_level);
}

ModelInfo DenoisingAeInfo() {
  return {"denoising-ae",
          "denoising autoencoder 784-256-784, ReLU code, reconstructs clean x from a corrupted "
          "copy (Vincent et al.)",
          DenoisingAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeDenoisingAe(DenoisingAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

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
#include "models/model.h"
#include "models/ae/reconstruction.h"

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

}  // namespace

ModelInfo DenoisingAeInfo() {
  return {"denoising-ae",
          "denoising autoencoder 784-256-784, ReLU code, reconstructs clean x from a corrupted "
          "copy (Vincent et al.)",
          {{"latent-dim", "256", "number of hidden (code) units"},
           {"noise", "mask", "corruption: gaussian (additive), mask (pixels zeroed) or "
                             "salt-pepper (pixels set to 0 or 1)"},
           {"noise-level", "0.25", "sigma of gaussian noise, or the corrupted fraction nu"}},
          [](const Flags& f, const ModelShape& s) -> std::unique_ptr<Model> {
            const std::string& noise = f.GetChoice("noise", {"gaussian", "mask", "salt-pepper"});
            const kernels::Corruption kind = noise == "gaussian" ? kernels::Corruption::kGaussian
                                             : noise == "mask"   ? kernels::Corruption::kMask
                                                                 : kernels::Corruption::kSaltPepper;
            const double max_level = noise == "gaussian" ? 100.0 : 1.0;
            return std::make_unique<DenoisingAe>(s.features(), f.GetInt("latent-dim", 1, 100000),
                                                 kind, f.GetDouble("noise-level", 0.0, max_level));
          }};
}

}  // namespace latent

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
#include "models/model.h"
#include "models/ae/reconstruction.h"

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

}  // namespace

ModelInfo OvercompleteAeInfo() {
  return {"overcomplete-ae",
          "overcomplete autoencoder 784-1024-784, ReLU code kept from the identity by an L1 "
          "activity penalty or input noise",
          {{"latent-dim", "1024", "size of the code (wider than the input)"},
           {"regularizer", "sparse", "sparse (L1 penalty on the code) or noise (Gaussian input "
                                     "noise, clean target)"},
           {"lambda", "0.05", "weight of the L1 activity penalty (sparse)"},
           {"sigma", "0.3", "standard deviation of the input noise (noise)"}},
          [](const Flags& f, const ModelShape& s) -> std::unique_ptr<Model> {
            const bool noise = f.GetChoice("regularizer", {"sparse", "noise"}) == "noise";
            return std::make_unique<OvercompleteAe>(
                s.features(), f.GetInt("latent-dim", 1, 100000), noise,
                f.GetDouble("lambda", 0.0, 1e6), f.GetDouble("sigma", 0.0, 100.0));
          }};
}

}  // namespace latent

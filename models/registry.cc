#include "kernels/error.h"
#include "models/model.h"
#include "models/variants.h"

namespace latent {

Tensor Model::Sample(int64_t, uint64_t, const Tensor&) {
  LATENT_FAIL("this model has no prior to sample from: a plain autoencoder's codes follow no "
              "known distribution, so decoding random codes gives no meaningful images; use a "
              "VAE-family model (vae) to sample");
}

LossOutput Model::PretrainLoss(int stage, const Tensor&) {
  LATENT_FAIL("this model has no layer-wise pre-training (stage ", stage, " asked for)");
}

const std::vector<ModelInfo>& ModelRegistry() {
  static const std::vector<ModelInfo> registry = {
      AeInfo(),
      VaeInfo(),
      OvercompleteAeInfo(),
      DeepAeInfo(),
      SparseAeInfo(),
      DenoisingAeInfo(),
      ContractiveAeInfo(),
      BetaVaeInfo(),
      CvaeInfo(),
      ConvAeInfo(),
      ConvVaeInfo(),
      IwaeInfo(),
      VampVaeInfo(),
      GmmVaeInfo(),
  };
  return registry;
}

const ModelInfo& FindModel(const std::string& name) {
  std::string known;
  for (const ModelInfo& m : ModelRegistry()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  LATENT_FAIL("unknown model '", name, "'; known models: ", known, " (see `latent models`)");
}

}  // namespace latent

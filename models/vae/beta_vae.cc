// beta-VAE (Higgins et al. 2017): the VAE of models/vae/vae.cc with the KL weighted by beta,
//
//   loss = -log p(x|z) + beta_t KL(q(z|x) || N(0, I)),
//
// where beta > 1 presses the posterior towards the factorized prior (fewer nats of information
// in the code, more disentangled factors, blurrier reconstructions). beta_t follows a schedule
// (models/vae/vae_core.h): constant beta; a linear warm-up from 0 (Bowman et al. 2016), which lets the
// decoder learn to use z before the KL pulls q onto the prior; or the cyclical schedule of Fu et
// al. (2019), which repeats that warm-up to escape posterior collapse. Evaluation uses the full
// beta. The parts are "recon", the unweighted "kl", and "beta" (the mean weight of the epoch).
#include "models/configs.h"
#include "models/vae/vae_core.h"
#include "models/variants.h"

namespace latent {

VaeConfig BetaVaeDefaults() {
  VaeConfig config;
  config.schedule.beta = 4.0;
  return config;
}

std::unique_ptr<Model> MakeBetaVae(const VaeConfig& config, const ModelShape& shape) {
  return MakeDenseVae(config, shape, 0, true);
}

ModelInfo BetaVaeInfo() {
  return {"beta-vae",
          "beta-VAE 784-400-20 (Higgins et al.): KL weighted by beta, with optional warm-up",
          JoinSpecs(VaeConfig::Specs(), KlSchedule::Specs(BetaVaeDefaults().schedule)),
          [](const HyperParams& values, const ModelShape& shape) {
            return MakeBetaVae(VaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

// The conditional VAE (Sohn et al. 2015): the VAE of models/vae/vae.cc with the one-hot label y
// appended to the encoder's input and to the code,
//
//   q(z | x, y) = N(mu(x, y), diag exp(logvar(x, y))),  p(x | z, y): logits fc4 ReLU(fc3 [z, y])
//   loss = -log p(x | z, y) + KL(q(z | x, y) || N(0, I)),
//
// so z only has to carry what the label does not (style: slant, thickness), and sampling with a
// chosen y draws that digit. Sample(n, seed, labels) decodes z ~ N(0, I) with the given labels,
// or with 0, 1, ..., 9, 0, ... when none are given. Its KL takes vae's warm-up (--schedule).
#include "models/configs.h"
#include "models/vae/vae_core.h"
#include "models/variants.h"

namespace latent {

std::unique_ptr<Model> MakeCvae(const VaeConfig& config, const ModelShape& shape) {
  return MakeDenseVae(config, shape, shape.num_classes, false);
}

ModelInfo CvaeInfo() {
  return {"cvae",
          "conditional VAE 784+10-400-20 (Sohn et al.): one-hot labels on encoder and decoder",
          JoinSpecs(VaeConfig::Specs(), KlSchedule::WarmupSpecs(KlSchedule())),
          [](const HyperParams& values, const ModelShape& shape) {
            return MakeCvae(VaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

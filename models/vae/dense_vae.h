// The fully connected VAE of models/vae/vae.cc (784-400-20, the PyTorch example's network), which
// vae, beta-vae, cvae and iwae build through MakeDenseVae, and vamp-vae and gmm-vae extend with
// their priors.
#pragma once

#include <cstdint>

#include "core/nn.h"
#include "models/configs.h"
#include "models/vae/vae_core.h"

namespace latent {

class DenseVae : public VaeCore {
 public:
  // The arguments after `shape` as VaeCore's.
  DenseVae(const VaeConfig& config, const ModelShape& shape, int conditional_classes,
           bool report_beta, int64_t importance_samples);

 protected:
  Posterior Encoder(const Tensor& x, const Tensor& labels) override;
  Tensor DecoderLogits(const Tensor& z, const Tensor& labels) override;

 private:
  LinearLayer fc1_, fc21_, fc22_, fc3_, fc4_;
};

}  // namespace latent

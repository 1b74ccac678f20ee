// The variational autoencoder of Kingma & Welling (2014), as in the PyTorch MNIST example:
//
//   encoder  h = ReLU(fc1 x);  mu = fc21 h;  logvar = fc22 h          (784-400-20)
//   sample   z = mu + exp(logvar / 2) eps,  eps ~ N(0, I)             (reparameterization)
//   decoder  logits = fc4 ReLU(fc3 z)                                 (20-400-784)
//   loss     -ELBO = -log p(x|z) + KL(q(z|x) || N(0, I))
//            bernoulli (default):  -log p(x|z) = sum_pixels BCE(logits, x)
//            gaussian:             -log p(x|z) = sum_pixels 1/2 [(x - mu(z))^2 / sigma^2
//                                                 + log sigma^2 + log 2 pi]
//                                    mu(z) = sigmoid(logits); sigma fixed or one learned scalar
//
// --schedule linear|cyclical weights the KL by a beta_t that ramps from 0 to 1 during training
// (a KL warm-up, Bowman et al. 2016; KlSchedule in models/configs.h); the default is the ELBO.
//
// The sampling and the KL run in one fused op (core/ops_reparam_kl.cc), and each hidden layer's
// ReLU in the epilogue of its GEMM (LinearAct). BCE is computed from logits, never from sigmoid
// outputs, so saturated pixels cannot produce log(0).
//
// The same network serves beta-vae (models/vae/beta_vae.cc: a weighted, scheduled KL), cvae
// (models/vae/cvae.cc: one-hot labels appended to x and to z) and iwae (models/vae/iwae.cc: the
// importance-weighted bound); vamp-vae (models/vae/vamp_vae.cc) and gmm-vae
// (models/vae/gmm_vae.cc) extend it with their priors. The
// loss itself is models/vae/vae_core.cc.
#include "models/vae/dense_vae.h"

#include "core/nn.h"
#include "models/configs.h"
#include "models/vae/vae_core.h"
#include "models/variants.h"

namespace latent {

// The layers are the PyTorch example's (fc1, fc21, fc22, fc3, fc4), named by their role
// (encoder.fc_mu is its fc21), so a checkpoint does not load into the example without a
// renaming. Their order fixes the seeded initialization: keep it.
DenseVae::DenseVae(const VaeConfig& config, const ModelShape& shape, int conditional_classes,
                   bool report_beta, int64_t importance_samples)
    : VaeCore(config.latent_dim, conditional_classes, config.schedule, report_beta,
              importance_samples) {
  const int64_t hidden = config.hidden, latent = code_size();
  fc1_ = LinearLayer(params_, "encoder.fc1", shape.features() + conditional_classes, hidden);
  fc21_ = LinearLayer(params_, "encoder.fc_mu", hidden, latent);
  fc22_ = LinearLayer(params_, "encoder.fc_logvar", hidden, latent);
  fc3_ = LinearLayer(params_, "decoder.fc1", latent + conditional_classes, hidden);
  fc4_ = LinearLayer(params_, "decoder.fc2", hidden, shape.features());
  likelihood_ = Likelihood(config.likelihood, params_);
}

VaeCore::Posterior DenseVae::Encoder(const Tensor& x, const Tensor& labels) {
  const Tensor h = fc1_(Condition(x, labels), Activation::kRelu);
  return {fc21_(h), fc22_(h)};
}

Tensor DenseVae::DecoderLogits(const Tensor& z, const Tensor& labels) {
  return fc4_(fc3_(Condition(z, labels), Activation::kRelu));
}

std::vector<HyperParamSpec> VaeConfig::Specs() {
  const VaeConfig d;
  return JoinSpecs(
      {{"latent-dim", HyperParamText(d.latent_dim), "size of the latent code z"},
       {"hidden", HyperParamText(d.hidden), "width of the hidden layer of encoder and decoder"}},
      LikelihoodConfig::Specs());
}

VaeConfig VaeConfig::FromValues(const HyperParams& values) {
  VaeConfig c;
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  c.hidden = values.GetInt("hidden", 1, kMaxUnits);
  if (values.Has("schedule")) c.schedule = KlSchedule::FromValues(values);
  c.likelihood = LikelihoodConfig::FromValues(values);
  return c;
}

std::unique_ptr<Model> MakeDenseVae(const VaeConfig& config, const ModelShape& shape,
                                    int conditional_classes, bool report_beta,
                                    int64_t importance_samples) {
  return std::make_unique<DenseVae>(config, shape, conditional_classes, report_beta,
                                    importance_samples);
}

std::unique_ptr<Model> MakeVae(const VaeConfig& config, const ModelShape& shape) {
  return MakeDenseVae(config, shape, 0, false);
}

ModelInfo VaeInfo() {
  return {"vae", "variational autoencoder 784-400-20 (Kingma & Welling; the PyTorch MNIST example)",
          JoinSpecs(VaeConfig::Specs(), KlSchedule::WarmupSpecs(KlSchedule())),
          [](const HyperParams& values, const ModelShape& shape) {
            return MakeVae(VaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

// The convolutional VAE: the loss of models/vae/vae_core.h (the negative ELBO, Kingma & Welling 2014)
// on the trunk of models/ae/conv_net.h,
//
//   h = ConvEncoder(x);  mu = fc_mu h;  logvar = fc_logvar h;  z = mu + exp(logvar / 2) eps
//   loss = -log p(x | z) + beta_t KL(q(z|x) || N(0, I)),  logits = ConvDecoder(z)
//
// where beta_t is 1 unless a KL warm-up (--schedule linear|cyclical, models/configs.h) ramps it.
// with the same decoder likelihoods as vae (--decoder bernoulli|gaussian). It matches the dense
// VAE's ELBO with a fraction of its parameters (tests/variants_vae_test.cc).
#include "core/nn.h"
#include "models/ae/conv_net.h"
#include "models/configs.h"
#include "models/vae/vae_core.h"
#include "models/variants.h"

namespace latent {
namespace {

class ConvVae : public VaeCore {
 public:
  ConvVae(const ConvVaeConfig& config, const ModelShape& shape)
      : VaeCore(config.latent_dim, 0, config.schedule, false) {
    const int64_t channels = config.channels, latent = code_size();
    encoder_ = ConvEncoder(params_, shape, channels);
    fc_mu_ = LinearLayer(params_, "encoder.fc_mu", encoder_.features(), latent);
    fc_logvar_ = LinearLayer(params_, "encoder.fc_logvar", encoder_.features(), latent);
    decoder_ = ConvDecoder(params_, shape, channels, latent);
    likelihood_ = Likelihood(config.likelihood, params_);
  }

 protected:
  Posterior Encoder(const Tensor& x, const Tensor&) override {
    const Tensor h = encoder_(x);
    return {fc_mu_(h), fc_logvar_(h)};
  }
  Tensor DecoderLogits(const Tensor& z, const Tensor&) override { return decoder_(z); }

 private:
  ConvEncoder encoder_;
  LinearLayer fc_mu_, fc_logvar_;
  ConvDecoder decoder_;
};

}  // namespace

std::vector<HyperParamSpec> ConvVaeConfig::Specs() {
  const ConvVaeConfig d;
  return JoinSpecs({{"latent-dim", HyperParamText(d.latent_dim), "size of the latent code z"},
                    ConvChannelsSpec(d.channels)},
                   JoinSpecs(LikelihoodConfig::Specs(), KlSchedule::WarmupSpecs(d.schedule)));
}

ConvVaeConfig ConvVaeConfig::FromValues(const HyperParams& values) {
  ConvVaeConfig c;
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  c.channels = values.GetInt("channels", 1, kMaxChannels);
  c.likelihood = LikelihoodConfig::FromValues(values);
  c.schedule = KlSchedule::FromValues(values);
  return c;
}

std::unique_ptr<Model> MakeConvVae(const ConvVaeConfig& config, const ModelShape& shape) {
  return std::make_unique<ConvVae>(config, shape);
}

ModelInfo ConvVaeInfo() {
  return {"conv-vae", "convolutional VAE (2 strided convs -> 20 -> 2 transposed convs)",
          ConvVaeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeConvVae(ConvVaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

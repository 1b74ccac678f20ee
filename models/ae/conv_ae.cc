// The convolutional autoencoder: the trunk of models/ae/conv_net.h with one linear head to the code,
//
//   code = fc(ConvEncoder(x)),   logits = ConvDecoder(code),   loss = sum_pixels BCE(logits, x),
//   reported sqerr = sum_pixels (x - sigmoid(logits))^2, comparable with deep-ae's
//
// the Bernoulli reconstruction loss of the dense ae. Convolutions share their weights across
// positions, so this model reconstructs at least as well as a dense one with fewer parameters
// (tests/variants_vae_test.cc). The code is linear (no ReLU), so no unit can die at zero.
#include "core/nn.h"
#include "core/ops.h"
#include "models/ae/conv_net.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class ConvAe : public Model {
 public:
  ConvAe(const ModelShape& shape, int64_t channels, int64_t code)
      : encoder_(params_, shape, channels),
        fc_(params_, "encoder.fc", encoder_.features(), code),
        decoder_(params_, shape, channels, code) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    const Tensor logits = decoder_(Code(x));
    Tensor recon = Sum(BceWithLogits(logits, x));
    return {recon, {{"recon", recon}, {"sqerr", SquaredError(logits, x)}}};
  }
  Tensor Encode(const Tensor& x, const Tensor&) override { return Code(x); }
  Tensor Decode(const Tensor& z, const Tensor&) override { return Sigmoid(decoder_(z)); }
  int64_t code_size() const override { return fc_.out(); }

 private:
  Tensor Code(const Tensor& x) const { return fc_(encoder_(x)); }

  ConvEncoder encoder_;
  LinearLayer fc_;
  ConvDecoder decoder_;
};

}  // namespace

std::vector<HyperParamSpec> ConvAeConfig::Specs() {
  const ConvAeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim),
           "size of the linear code (deep-ae's 30, for comparison)"},
          ConvChannelsSpec(d.channels)};
}

ConvAeConfig ConvAeConfig::FromValues(const HyperParams& values) {
  ConvAeConfig c;
  c.channels = values.GetInt("channels", 1, kMaxChannels);
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  return c;
}

std::unique_ptr<Model> MakeConvAe(const ConvAeConfig& config, const ModelShape& shape) {
  return std::make_unique<ConvAe>(shape, config.channels, config.latent_dim);
}

ModelInfo ConvAeInfo() {
  return {"conv-ae", "convolutional autoencoder (2 strided convs -> 30 -> 2 transposed convs, BCE)",
          ConvAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeConvAe(ConvAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

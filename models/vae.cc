// The variational autoencoder of Kingma & Welling (2014), as in the PyTorch MNIST example:
//
//   encoder  h = ReLU(fc1 x);  mu = fc21 h;  logvar = fc22 h          (784-400-20)
//   sample   z = mu + exp(logvar / 2) eps,  eps ~ N(0, I)             (reparameterization)
//   decoder  logits = fc4 ReLU(fc3 z)                                 (20-400-784)
//   loss     -ELBO = sum_pixels BCE(logits, x) + KL(q(z|x) || N(0, I))
//
// The sampling and the KL run in one fused op (core/ops_reparam_kl.cc). BCE is computed from
// logits, never from sigmoid outputs, so saturated pixels cannot produce log(0).
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/model.h"

namespace latent {
namespace {

class Vae : public Model {
 public:
  Vae(int64_t features, int64_t hidden, int64_t latent)
      : latent_(latent),
        fc1_(params_, "encoder.fc1", features, hidden),
        fc21_(params_, "encoder.fc_mu", hidden, latent),
        fc22_(params_, "encoder.fc_logvar", hidden, latent),
        fc3_(params_, "decoder.fc1", latent, hidden),
        fc4_(params_, "decoder.fc2", hidden, features) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext& ctx) override {
    const Tensor h = Relu(fc1_(x));
    const uint64_t stream = StreamOffset(ctx.training ? Stream::kNoise : Stream::kEval, ctx.step);
    ReparamKlResult r = ReparamKl(fc21_(h), fc22_(h), ctx.seed, stream);
    Tensor recon = Sum(BceWithLogits(DecodeLogits(r.z), x));
    Tensor kl = Sum(r.kl);
    return {Add(recon, kl), {{"recon", recon}, {"kl", kl}}};
  }

  Tensor Encode(const Tensor& x, const Tensor&) override { return fc21_(Relu(fc1_(x))); }
  Tensor Decode(const Tensor& z, const Tensor&) override { return Sigmoid(DecodeLogits(z)); }
  int64_t code_size() const override { return latent_; }

  Tensor Sample(int64_t n, uint64_t seed, const Tensor& labels) override {
    const Tensor z = RandomNormal({n, latent_}, seed, StreamOffset(Stream::kSample, 0),
                                  DType::kF32, params_.device());
    return Decode(z, labels);
  }

 private:
  Tensor DecodeLogits(const Tensor& z) const { return fc4_(Relu(fc3_(z))); }

  int64_t latent_;
  LinearLayer fc1_, fc21_, fc22_, fc3_, fc4_;
};

}  // namespace

ModelInfo VaeInfo() {
  return {"vae",
          "variational autoencoder 784-400-20 (Kingma & Welling; the PyTorch MNIST example)",
          {{"latent-dim", "20", "size of the latent code z"},
           {"hidden", "400", "width of the hidden layer of encoder and decoder"}},
          [](const Flags& f, const ModelShape& s) -> std::unique_ptr<Model> {
            return std::make_unique<Vae>(s.features(), f.GetInt("hidden", 1, 100000),
                                         f.GetInt("latent-dim", 1, 100000));
          }};
}

}  // namespace latent

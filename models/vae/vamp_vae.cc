// The VAE with a VampPrior (Tomczak & Welling 2018): vae's network with the prior N(0, I)
// replaced by the mixture of the posteriors of K learned pseudo-inputs u_k,
//
//   p(z)   = 1/K sum_k q(z | u_k),   q(z | u) = N(mu(u), diag exp(logvar(u)))  (the encoder's)
//   loss   = -log p(x|z) + log q(z|x) - log p(z),   z = mu(x) + exp(logvar(x)/2) eps
//
// The KL has no closed form against a mixture, so it is the one-sample estimate at the z that the
// reconstruction uses (VaeCore::Loss). log p(z) for N codes against K components is one GEMM
// (models/vae/mixture_prior.h).
//
// Sampling picks a pseudo-input uniformly and draws from its posterior.
//
// The pseudo-inputs are one parameter (K, H*W) holding u - 1/2, initialized uniform in
// [-1/2, 1/2]: the components start as noise images of the data's range [0, 1], so the encoder
// sees inputs of the scale it is trained on, and all different (identical pseudo-inputs would get
// identical gradients and remain one component). They are not clipped to [0, 1] afterwards
// (the paper's hardtanh): a pseudo-input is a point the encoder maps to a component, not an
// image that must be drawable.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "models/configs.h"
#include "models/vae/dense_vae.h"
#include "models/vae/mixture_prior.h"
#include "models/variants.h"

namespace latent {
namespace {

class VampVae : public DenseVae {
 public:
  VampVae(const VampVaeConfig& config, const ModelShape& shape)
      : DenseVae(config.vae, shape, 0, false, 0), components_(config.pseudo_inputs) {
    // Declared after the network: its layers keep the seeded initial values of vae's.
    pseudo_inputs_ = params_.Declare("prior.pseudo_inputs", {components_, shape.features()},
                                     Init::Uniform(0.5));
  }

  Tensor LogPrior(const Tensor& z) override {
    const Posterior c = Encoder(PseudoInputs(), Tensor());  // (K, D) each
    return MixtureLogDensity(z, c.mu, c.logvar, Tensor());
  }

 protected:
  bool standard_prior() const override { return false; }

  // Component i of the n draws is pseudo-input floor(u_i K), u_i uniform from the stream
  // (seed, kSample, 1); its code is the component's mu + sigma eps with eps the (seed, kSample, 0)
  // normals of the standard prior's draw.
  Tensor SamplePrior(int64_t n, uint64_t seed) override {
    const Device device = params_.device();
    const DType dtype = params_.flat_values().dtype();
    const std::vector<double> u =
        RandomUniform({n}, seed, StreamOffset(Stream::kSample, 1), DType::kF64).ToVector<double>();
    std::vector<int32_t> pick(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      pick[i] = static_cast<int32_t>(
          std::min<double>(std::floor(u[i] * static_cast<double>(components_)), components_ - 1));
    }
    const Tensor index = Tensor::FromVector<int32_t>(pick, {n}, device);
    const Posterior c = Encoder(GatherRows(PseudoInputs(), index), Tensor());  // (n, D) each
    const Tensor eps =
        RandomNormal({n, code_size()}, seed, StreamOffset(Stream::kSample, 0), dtype, device);
    return Add(c.mu, Mul(Exp(Scale(c.logvar, 0.5)), eps));
  }

 private:
  Tensor PseudoInputs() const { return AddScalar(params_[pseudo_inputs_], 0.5); }  // (K, H*W)

  int64_t components_;
  int pseudo_inputs_ = -1;
};

}  // namespace

std::vector<HyperParamSpec> VampVaeConfig::Specs() {
  const VampVaeConfig d;
  // Tomczak & Welling warm the KL up over their first 100 epochs: --schedule linear does that.
  return JoinSpecs(JoinSpecs(VaeConfig::Specs(), KlSchedule::WarmupSpecs(d.vae.schedule)),
                   {{"pseudo-inputs", HyperParamText(d.pseudo_inputs),
                     "K, learned pseudo-inputs whose posteriors make the prior's mixture"}});
}

VampVaeConfig VampVaeConfig::FromValues(const HyperParams& values) {
  VampVaeConfig c;
  c.vae = VaeConfig::FromValues(values);
  // Each step encodes all K pseudo-inputs: K = 65536 is 51M pixels, as a kMaxUnits-wide layer.
  c.pseudo_inputs = values.GetInt("pseudo-inputs", 1, kMaxUnits);
  return c;
}

std::unique_ptr<Model> MakeVampVae(const VampVaeConfig& config, const ModelShape& shape) {
  return std::make_unique<VampVae>(config, shape);
}

ModelInfo VampVaeInfo() {
  return {"vamp-vae",
          "VAE with a VampPrior (Tomczak & Welling): a mixture of K pseudo-inputs' posteriors",
          VampVaeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeVampVae(VampVaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

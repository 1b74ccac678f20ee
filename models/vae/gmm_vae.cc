// The VAE with a learned Gaussian-mixture prior (as in VaDE, Jiang et al. 2017, trained end to
// end without its pre-training): vae's network with the prior N(0, I) replaced by K Gaussians
// whose weights, means and variances are parameters of the model,
//
//   p(z)   = sum_k w_k N(z; m_k, diag exp(s_k)),   w = softmax(a)
//   loss   = -log p(x|z) + log q(z|x) - log p(z),   z = mu(x) + exp(logvar(x)/2) eps
//
// As in vamp-vae, the KL has no closed form against a mixture and is the one-sample estimate at
// the reconstruction's z (VaeCore::Loss); log p(z) is one GEMM (models/vae/mixture_prior.h).
// Where vamp-vae's components are the encoder's posteriors at learned pseudo-inputs (K encoder
// passes per step), these are free: K (2D + 1) numbers, and a prior that costs nothing to
// evaluate. VaDE, pre-trained, reports that with K = 10 on MNIST the components take one digit
// class each; trained end to end here, the components all stay in use but their clusters are not
// the classes (docs/results.md: a linear probe of 90.9-92.3% on 32-d codes).
//
// Initialization: the means uniform in [-1, 1]^D, so the components start apart (identical ones
// would get identical gradients and remain one); the log-variances 0 and the logits a 0, so
// each starts as N(m_k, I) with weight 1/K.
#include <algorithm>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "models/configs.h"
#include "models/vae/dense_vae.h"
#include "models/vae/mixture_prior.h"
#include "models/variants.h"

namespace latent {
namespace {

class GmmVae : public DenseVae {
 public:
  GmmVae(const GmmVaeConfig& config, const ModelShape& shape)
      : DenseVae(config.vae, shape, 0, false, 0), components_(config.components) {
    // Declared after the network: its layers keep the seeded initial values of vae's.
    const int64_t D = config.vae.latent_dim;
    logits_ = params_.Declare("prior.logits", {components_}, Init::Constant(0.0));
    means_ = params_.Declare("prior.means", {components_, D}, Init::Uniform(1.0));
    log_variances_ = params_.Declare("prior.log_variances", {components_, D}, Init::Constant(0.0));
  }

  Tensor LogPrior(const Tensor& z) override {
    return MixtureLogDensity(z, params_[means_], params_[log_variances_], LogWeights());
  }

 protected:
  bool standard_prior() const override { return false; }

  // Component i of the n draws is the first k with u_i < w_0 + ... + w_k, u_i uniform from the
  // stream (seed, kSample, 1); its code is m_k + exp(s_k / 2) eps with eps the (seed, kSample, 0)
  // normals of the standard prior's draw.
  Tensor SamplePrior(int64_t n, uint64_t seed) override {
    const Device device = params_.device();
    const DType dtype = params_.flat_values().dtype();
    std::vector<double> cumulative =
        Exp(LogWeights()).To(Device::Cpu()).ToDType(DType::kF64).ToVector<double>();
    for (size_t k = 1; k < cumulative.size(); ++k) cumulative[k] += cumulative[k - 1];
    const std::vector<double> u =
        RandomUniform({n}, seed, StreamOffset(Stream::kSample, 1), DType::kF64).ToVector<double>();
    std::vector<int32_t> pick(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      // upper_bound: the first k whose cumulative weight exceeds u_i; the last one when rounding
      // leaves the total below u_i.
      const auto k = std::upper_bound(cumulative.begin(), cumulative.end(), u[i]);
      pick[i] = static_cast<int32_t>(std::min<int64_t>(k - cumulative.begin(), components_ - 1));
    }
    const Tensor index = Tensor::FromVector<int32_t>(pick, {n}, device);
    const Tensor eps =
        RandomNormal({n, code_size()}, seed, StreamOffset(Stream::kSample, 0), dtype, device);
    const Tensor sigma = Exp(Scale(GatherRows(params_[log_variances_], index), 0.5));
    return Add(GatherRows(params_[means_], index), Mul(sigma, eps));
  }

 private:
  // log w = a - log sum_k exp(a_k): (K).
  Tensor LogWeights() const {
    const Tensor a = params_[logits_];
    const Tensor log_total = RowLogSumExp(Reshape(a, {1, components_}));  // (1)
    return Sub(a, Broadcast(log_total, a.shape()));
  }

  int64_t components_;
  int logits_ = -1, means_ = -1, log_variances_ = -1;
};

}  // namespace

std::vector<HyperParamSpec> GmmVaeConfig::Specs() {
  const GmmVaeConfig d;
  return JoinSpecs(JoinSpecs(VaeConfig::Specs(), KlSchedule::WarmupSpecs(d.vae.schedule)),
                   {{"components", HyperParamText(d.components),
                     "K, the learned Gaussians of the prior's mixture"}});
}

GmmVaeConfig GmmVaeConfig::FromValues(const HyperParams& values) {
  GmmVaeConfig c;
  c.vae = VaeConfig::FromValues(values);
  c.components = values.GetInt("components", 1, kMaxUnits);
  return c;
}

std::unique_ptr<Model> MakeGmmVae(const GmmVaeConfig& config, const ModelShape& shape) {
  return std::make_unique<GmmVae>(config, shape);
}

ModelInfo GmmVaeInfo() {
  return {"gmm-vae",
          "VAE with a learned Gaussian-mixture prior: K Gaussians with their own weights, means "
          "and variances",
          GmmVaeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeGmmVae(GmmVaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

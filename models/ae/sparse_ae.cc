// The sparse autoencoder: a sigmoid hidden layer pushed towards rarely active units.
//
//   h = s(W1 x + b1),  logits = W2 h + b2,  rho_hat_j = (1/B) sum_rows h_j   (mean over the batch)
//   kl (Ng, CS294A notes):  loss = sum_rows sum_pixels BCE(logits, x)
//                                  + beta B sum_j KL(rho || rho_hat_j)
//                           KL(rho || r) = rho log(rho / r) + (1 - rho) log((1 - rho) / (1 - r))
//   l1 (activity penalty):  loss = sum_rows sum_pixels BCE(logits, x) + lambda sum_rows sum_j |h_j|
//
// The KL term is a property of the batch, not of a row; multiplying it by B keeps the objective a
// sum over rows, so the trainer's per-image average reports beta sum_j KL, Ng's J_sparse.
#include <cmath>

#include "core/autograd.h"
#include "core/nn.h"
#include "core/ops.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class SparseAe : public OneLayerAe {
 public:
  SparseAe(int64_t features, int64_t code, bool kl, double rho, double beta, double lambda)
      : OneLayerAe(features, code, Activation::kSigmoid),
        kl_(kl), rho_(rho), beta_(beta), lambda_(lambda) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    const Tensor h = Code(x);
    const Tensor logits = decoder_(h);
    Tensor recon = Sum(BceWithLogits(logits, x));
    Tensor sparsity = kl_ ? KlPenalty(h) : Scale(Sum(Abs(h)), lambda_);
    // A metric beside the loss: summed over rows, so the trainer's per-image average is the mean
    // activation of the code, the number rho asks for.
    Tensor rho_hat = Scale(Sum(Detach(h)), 1.0 / static_cast<double>(code_size()));
    return {Add(recon, sparsity),
            {{"recon", recon}, {"sparsity", sparsity}, {"rho_hat", rho_hat},
             {"sqerr", SquaredError(logits, x)}}};
  }

 private:
  // beta B sum_j KL(rho || rho_hat_j)
  //   = beta B (sum_j [-rho log rho_hat_j - (1 - rho) log(1 - rho_hat_j)] + H c),
  // with c = rho log rho + (1 - rho) log(1 - rho) the part that does not depend on the model.
  Tensor KlPenalty(const Tensor& h) const {
    const int64_t batch = h.shape()[0], hidden = h.shape()[1];
    const Tensor rho_hat = Scale(ColumnSum(h), 1.0 / static_cast<double>(batch));  // (H)
    const Tensor one_minus = AddScalar(Scale(rho_hat, -1.0), 1.0);
    const Tensor cross = Add(Scale(Log(rho_hat), -rho_), Scale(Log(one_minus), -(1.0 - rho_)));
    const double c = rho_ * std::log(rho_) + (1.0 - rho_) * std::log(1.0 - rho_);
    const Tensor kl = AddScalar(Sum(cross), static_cast<double>(hidden) * c);
    return Scale(kl, beta_ * static_cast<double>(batch));
  }

  bool kl_;
  double rho_, beta_, lambda_;
};

const std::vector<Choice<SparseAeConfig::Penalty>> kPenalties = {{"kl", SparseAeConfig::kKl},
                                                                 {"l1", SparseAeConfig::kL1}};

}  // namespace

std::vector<HyperParamSpec> SparseAeConfig::Specs() {
  const SparseAeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim), "number of hidden (code) units"},
          {"sparsity", HyperParamText(d.sparsity, kPenalties),
           "penalty: kl (beta sum_j KL(rho || mean activation)) or l1 (lambda sum |h|)"},
          {"rho", HyperParamText(d.rho), "target mean activation of each hidden unit (kl)"},
          {"beta", HyperParamText(d.beta), "weight of the KL penalty, per image (kl)"},
          {"lambda", HyperParamText(d.lambda), "weight of the L1 activity penalty (l1)"}};
}

SparseAeConfig SparseAeConfig::FromValues(const HyperParams& values) {
  SparseAeConfig c;
  c.sparsity = values.GetChoice("sparsity", kPenalties);
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  // rho strictly inside (0, 1): the KL divergence takes log rho and log(1 - rho).
  c.rho = values.GetDouble("rho", 1e-6, 1.0 - 1e-6);
  c.beta = values.GetDouble("beta", 0.0, 1e6);
  c.lambda = values.GetDouble("lambda", 0.0, 1e6);
  return c;
}

std::unique_ptr<Model> MakeSparseAe(const SparseAeConfig& config, const ModelShape& shape) {
  return std::make_unique<SparseAe>(shape.features(), config.latent_dim,
                                    config.sparsity == SparseAeConfig::kKl, config.rho, config.beta,
                                    config.lambda);
}

ModelInfo SparseAeInfo() {
  return {"sparse-ae",
          "sparse autoencoder 784-196-784, sigmoid code with a KL (Ng) or L1 activity penalty",
          SparseAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeSparseAe(SparseAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

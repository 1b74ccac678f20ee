// The contractive autoencoder of Rifai et al. (2011): penalize the encoder's sensitivity to its
// input, the Frobenius norm of its Jacobian, so the code varies only along directions the data
// actually moves in.
//
//   h = s(W x + b),  logits = V h + c
//   loss = sum_rows [ sum_pixels BCE(logits, x) + lambda ||J_f(x)||_F^2 ]
//   ||J_f(x)||_F^2 = sum_j (h_j (1 - h_j))^2 sum_i W_ji^2      (closed form for a sigmoid encoder:
//                                                                dh_j/dx_i = h_j (1 - h_j) W_ji)
//
// The penalty is built from ops, so autograd differentiates it through both h and W.
#include "core/nn.h"
#include "core/ops.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class ContractiveAe : public OneLayerAe {
 public:
  ContractiveAe(int64_t features, int64_t code, double lambda)
      : OneLayerAe(features, code, Activation::kSigmoid), lambda_(lambda) {}

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    const Tensor h = Code(x);
    const Tensor logits = decoder_(h);
    Tensor recon = Sum(BceWithLogits(logits, x));
    Tensor contractive = Scale(Sum(JacobianNorm2(h)), lambda_);
    return {Add(recon, contractive),
            {{"recon", recon}, {"contractive", contractive}, {"sqerr", SquaredError(logits, x)}}};
  }

 private:
  // ||J_f(x)||_F^2 per row: (B, H) @ (H, 1) -> (B, 1).
  Tensor JacobianNorm2(const Tensor& h) const {
    const int64_t hidden = encoder_.out();
    const Tensor slope = Mul(h, AddScalar(Scale(h, -1.0), 1.0));  // s'(.) = h (1 - h)
    const Tensor w_norm2 = Reshape(RowSum(Square(encoder_.weight())), {hidden, 1});  // sum_i W_ji^2
    return Matmul(Square(slope), w_norm2);
  }

  double lambda_;
};

}  // namespace

std::vector<HyperParamSpec> ContractiveAeConfig::Specs() {
  const ContractiveAeConfig d;
  return {{"latent-dim", HyperParamText(d.latent_dim), "number of hidden (code) units"},
          {"lambda", HyperParamText(d.lambda),
           "weight of the contractive penalty ||J_f(x)||_F^2, per image"}};
}

ContractiveAeConfig ContractiveAeConfig::FromValues(const HyperParams& values) {
  ContractiveAeConfig c;
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  c.lambda = values.GetDouble("lambda", 0.0, 1e6);
  return c;
}

std::unique_ptr<Model> MakeContractiveAe(const ContractiveAeConfig& config,
                                         const ModelShape& shape) {
  return std::make_unique<ContractiveAe>(shape.features(), config.latent_dim, config.lambda);
}

ModelInfo ContractiveAeInfo() {
  return {"contractive-ae",
          "contractive autoencoder 784-256-784, sigmoid code, Jacobian-norm penalty (Rifai et "
          "al. 2011)",
          ContractiveAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeContractiveAe(ContractiveAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

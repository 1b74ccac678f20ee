#include "models/vae/mixture_prior.h"

#include <cmath>

#include "core/ops.h"

namespace latent {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;
}  // namespace

Tensor MixtureLogDensity(const Tensor& z, const Tensor& mu, const Tensor& logvar,
                         const Tensor& log_weights) {
  const int64_t D = z.size(1);
  const Tensor precision = Exp(Scale(logvar, -1.0));                  // 1 / v: (K, D)
  const Tensor w = Concat(precision, Scale(Mul(mu, precision), -2.0));  // (K, 2D)
  Tensor offset = AddScalar(RowSum(Add(Mul(Square(mu), precision), logvar)),
                            static_cast<double>(D) * kLog2Pi);  // c_k: (K)
  // The weights enter through the GEMM's bias, before the -1/2: c_k - 2 log w_k.
  if (log_weights.defined()) offset = Sub(offset, Scale(log_weights, 2.0));
  const Tensor log_components = Scale(Linear(Concat(Square(z), z), w, offset), -0.5);  // (N, K)
  if (log_weights.defined()) return RowLogSumExp(log_components);
  return AddScalar(RowLogSumExp(log_components), -std::log(static_cast<double>(mu.size(0))));
}

}  // namespace latent

#include "core/grad_clip.h"

#include <cmath>

#include "core/tensor_math.h"

namespace latent {

double ClipGradNorm(Parameters& params, double max_norm) {
  LATENT_CHECK(std::isfinite(max_norm) && max_norm > 0.0,
               "gradient clipping: expected a finite max_norm > 0, found ", max_norm);
  Tensor& g = params.flat_grads();
  // The padding between parameters holds zero gradients (Parameters::ZeroGrad), so it adds nothing
  // to the sum.
  const double norm = std::sqrt(math::SumAll(math::Binary(kernels::BinaryOp::kMul, g, g)).item());
  // y = 0 * g + scale * g: Axpby is elementwise, so x and y may be the same buffer.
  if (norm > max_norm) math::Axpby(0.0, g, max_norm / norm, g);
  return norm;
}

}  // namespace latent

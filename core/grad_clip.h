// Gradient-norm clipping over a model's flat gradient buffer (core/parameters.h): one global L2
// norm over every parameter, as torch.nn.utils.clip_grad_norm_, so clipping rescales the whole
// gradient and keeps its direction.
#pragma once

#include "core/parameters.h"

namespace latent {

// norm = sqrt(sum g^2) over flat_grads(); when norm > max_norm, g *= max_norm / norm, otherwise g
// stays as it is. Returns the norm before clipping. Runs with tensor ops on the parameters'
// device; reading the norm back is one synchronization. Throws latent::Error unless
// max_norm > 0.
double ClipGradNorm(Parameters& params, double max_norm);

}  // namespace latent

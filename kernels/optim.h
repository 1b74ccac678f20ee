// Optimizer updates over one flat parameter buffer (p, g and the moments: (n)), one pass each.
//
//   SGD with momentum:  v = momentum v + g;  p -= lr v
//   Adam (Kingma & Ba), bias-corrected:
//       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//       p -= lr * (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t
//   (the same update as torch.optim.Adam with weight_decay = 0)
//   AdamW (Loshchilov & Hutter), decoupled weight decay wd, applied before the Adam update:
//       p *= 1 - lr wd                        (as torch.optim.AdamW; wd = 0 leaves p as it was)
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace latent::kernels {

struct AdamParams {
  float lr, beta1, beta2, eps;
  float bias_correction1, bias_correction2;  // c1 = 1 - beta1^t, c2 = 1 - beta2^t
  // 1 - lr * weight_decay, formed in double on the host. Exactly 1 without decay, and p * 1 is p,
  // so plain Adam stays bit for bit what it was; 1 is also the default for initializers that
  // leave it out.
  float decay = 1.0f;
};

// The CPU kernels flush subnormal floats to zero (kernels/cpu/optim.cc: they cost a microcode
// assist per operation on Intel cores); the CUDA kernels keep them (GPUs take subnormals at full
// speed). So m, v and the velocity differ from IEEE arithmetic's only where IEEE's fall below
// 2^-126, where the CPU's are 0, and p by at most lr 2^-126 / (c1 eps) (about 1e-33 at the
// defaults) plus a rounding; tests/cpu_kernels_test.cc checks both.
//
// One parameter's updates, written once for the CPU and the CUDA kernels. velocity, m and v start
// at zero: SGD's first step is then v = g, as in PyTorch, and Adam's c1, c2 undo that start's pull
// towards zero.
LATENT_HOST_DEVICE void SgdStep(float lr, float momentum, float g, float& p, float& velocity) {
  velocity = momentum * velocity + g;
  p -= lr * velocity;
}
LATENT_HOST_DEVICE void AdamStep(const AdamParams& hp, float g, float& p, float& m, float& v) {
  using std::sqrt;
  m = hp.beta1 * m + (1.0f - hp.beta1) * g;
  v = hp.beta2 * v + (1.0f - hp.beta2) * g * g;
  // Decoupled: the decay shrinks p directly instead of entering g, so Adam's normalization by
  // sqrt(v) does not weaken it for parameters with large gradients.
  p *= hp.decay;
  // eps outside the sqrt, after the bias correction, exactly where torch.optim.Adam adds it.
  const float denom = sqrt(v / hp.bias_correction2) + hp.eps;
  p -= hp.lr * (m / hp.bias_correction1) / denom;
}

void SgdCpu(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity);
void AdamCpu(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v);

void SgdCuda(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity);
// Fused: one launch updates the whole flat buffer.
void AdamCuda(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v);

}  // namespace latent::kernels

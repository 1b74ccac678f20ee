// Optimizer updates over one flat parameter buffer (p, g and the moments: (n)), one pass each.
//
//   SGD with momentum:  v = momentum v + g;  p -= lr v
//   Adam (Kingma & Ba), bias-corrected:
//       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//       p -= lr * (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^t, c2 = 1 - b2^t
//   (the same update as torch.optim.Adam with weight_decay = 0)
#pragma once

#include <cstdint>

namespace latent::kernels {

struct AdamParams {
  float lr, beta1, beta2, eps;
  float bias_correction1, bias_correction2;  // c1 = 1 - beta1^t, c2 = 1 - beta2^t
};

void SgdCpu(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity);
void AdamCpu(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v);

void SgdCuda(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity);
// Fused: one launch updates the whole flat buffer.
void AdamCuda(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v);

}  // namespace latent::kernels

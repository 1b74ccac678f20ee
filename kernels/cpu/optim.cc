// CPU reference for kernels/optim.h: SGD with momentum and Adam over one flat parameter buffer.
//
// n: number of parameters; p, g and the optimizer state are all (n). Each parameter's update
// reads only its own entries, so the loop splits across threads without changing any result.
#include "kernels/optim.h"

#include <cmath>

#include "kernels/error.h"

namespace latent::kernels {
namespace {

// Below this many parameters, waking the thread team costs about as much as the update itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

}  // namespace

void SgdCpu(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity) {
  // p, g, velocity: (n). velocity starts at zero, so the first step is v = g, as in PyTorch.
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    velocity[i] = momentum * velocity[i] + g[i];
    p[i] -= lr * velocity[i];
  }
}

void AdamCpu(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v) {
  // p, g, m, v: (n). m and v start at zero; c1, c2 undo that start's pull towards zero.
  LATENT_CHECK(hp.bias_correction1 > 0 && hp.bias_correction2 > 0,
               "AdamCpu: expected bias corrections 1 - beta^t > 0 (step t >= 1), found c1 = ",
               hp.bias_correction1, ", c2 = ", hp.bias_correction2);
  const float lr = hp.lr, beta1 = hp.beta1, beta2 = hp.beta2, eps = hp.eps;
  const float c1 = hp.bias_correction1, c2 = hp.bias_correction2;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
    // eps outside the sqrt, after the bias correction, exactly where torch.optim.Adam adds it.
    const float denom = std::sqrt(v[i] / c2) + eps;
    p[i] -= lr * (m[i] / c1) / denom;
  }
}

}  // namespace latent::kernels

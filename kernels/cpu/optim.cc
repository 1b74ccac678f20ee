// CPU reference for kernels/optim.h: SGD with momentum and Adam over one flat parameter buffer.
//
// n: number of parameters; p, g and the optimizer state are all (n). Each parameter's update
// reads only its own entries, so the loop splits across threads without changing any result.
#include "kernels/optim.h"

#include "kernels/error.h"

namespace latent::kernels {
namespace {

// Below this many parameters, waking the thread team costs about as much as the update itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

}  // namespace

void SgdCpu(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity) {
  // p, g, velocity: (n)
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) SgdStep(lr, momentum, g[i], p[i], velocity[i]);
}

void AdamCpu(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v) {
  // p, g, m, v: (n)
  LATENT_CHECK(hp.bias_correction1 > 0 && hp.bias_correction2 > 0,
               "AdamCpu: expected bias corrections 1 - beta^t > 0 (step t >= 1), found c1 = ",
               hp.bias_correction1, ", c2 = ", hp.bias_correction2);
  // A copy on the stack: the float arrays cannot alias it, so the loop reads each field once.
  const AdamParams params = hp;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) AdamStep(params, g[i], p[i], m[i], v[i]);
}

}  // namespace latent::kernels

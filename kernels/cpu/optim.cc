// CPU reference for kernels/optim.h: SGD with momentum and Adam over one flat parameter buffer.
//
// n: number of parameters; p, g and the optimizer state are all (n). Each parameter's update
// reads only its own entries, so the loop splits across threads without changing any result.
//
// Both updates run with subnormal floats flushed to zero (x86's FTZ and DAZ, in each thread for
// the loop's duration). A parameter whose gradient has become zero, such as a weight of a ReLU
// unit that no longer fires or of a pixel that the recent batches leave blank, has a first moment
// that shrinks by beta1 (or momentum) each step, down through the subnormal range, and on Intel
// cores every operation with a subnormal operand or result takes a microcode assist of about a
// hundred cycles: after 800 steps on one batch the vae had 77,587 subnormal first moments and
// its Adam pass took 3.5 times as long, and in training, epochs were 30% slower from the third
// on. Flushing changes only values below 2^-126 (about 1.2e-38), as kernels/optim.h states.
#include "kernels/optim.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "kernels/error.h"

namespace latent::kernels {
namespace {

// Below this many parameters, waking the thread team costs about as much as the update itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

// FTZ (results below 2^-126 become 0) and DAZ (such inputs read as 0) in this thread's MXCSR,
// restored at the end of the scope. A no-op off x86.
class FlushSubnormals {
 public:
#if defined(__SSE__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFtz = 1u << 15, kDaz = 1u << 6;
  unsigned saved_;
#endif
};

}  // namespace

void SgdCpu(int64_t n, float lr, float momentum, float* p, const float* g, float* velocity) {
  // p, g, velocity: (n)
#pragma omp parallel if (n >= kParallelMin)
  {
    const FlushSubnormals flush;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) SgdStep(lr, momentum, g[i], p[i], velocity[i]);
  }
}

void AdamCpu(int64_t n, const AdamParams& hp, float* p, const float* g, float* m, float* v) {
  // p, g, m, v: (n)
  LATENT_CHECK(hp.bias_correction1 > 0 && hp.bias_correction2 > 0,
               "AdamCpu: expected bias corrections 1 - beta^t > 0 (step t >= 1), found c1 = ",
               hp.bias_correction1, ", c2 = ", hp.bias_correction2);
  // A copy on the stack: the float arrays cannot alias it, so the loop reads each field once.
  const AdamParams params = hp;
#pragma omp parallel if (n >= kParallelMin)
  {
    const FlushSubnormals flush;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) AdamStep(params, g[i], p[i], m[i], v[i]);
  }
}

}  // namespace latent::kernels

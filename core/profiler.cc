#include "core/profiler.h"

#include "core/cuda_runtime.h"
#include "kernels/error.h"

#ifdef LATENT_WITH_CUDA
#include <cuda_profiler_api.h>
#endif

namespace latent {

#ifdef LATENT_WITH_CUDA

// Why synchronize: kernels run asynchronously, so without it the range would open while earlier
// steps' kernels are still queued, and close before the last profiled step's kernels have run.
void ProfilerStart() {
  LATENT_CUDA_CHECK(cudaStreamSynchronize(CurrentCudaStream()));
  LATENT_CUDA_CHECK(cudaProfilerStart());
}

void ProfilerStop() {
  LATENT_CUDA_CHECK(cudaStreamSynchronize(CurrentCudaStream()));
  LATENT_CUDA_CHECK(cudaProfilerStop());
}

#else  // !LATENT_WITH_CUDA

void ProfilerStart() {
  LATENT_FAIL("ProfilerStart: this build of latent has no CUDA support; the CUDA profiler's "
              "capture range applies only to training on a CUDA device");
}

void ProfilerStop() {
  LATENT_FAIL("ProfilerStop: this build of latent has no CUDA support; the CUDA profiler's "
              "capture range applies only to training on a CUDA device");
}

#endif

}  // namespace latent

// The one place a kernel is launched. Every launcher in kernels/cuda/ calls
//
//   LaunchKernel("SumKernel<float, double>", SumKernel<float, double>, grid, block, n, x, out);
//
// Under nvcc that is the triple-chevron launch on the current device's stream, then the launch
// check (LATENT_CUDA_CHECK_LAUNCH: the error, if any, names the kernel). In the simulator build
// (LATENT_CUDA_SIM, kernels/sim/) the same call runs the kernel on the CPU, block by block, each
// CUDA thread a fiber. Kernels take no dynamic shared memory, so there is no such argument.
#pragma once

#include <cuda_runtime.h>

#include "kernels/cuda/runtime.h"
#ifdef LATENT_CUDA_SIM
#include "kernels/sim/launch.h"
#endif

namespace latent::kernels::cuda_detail {

// `name` is the kernel as a person reads it (with its template arguments): launch errors and the
// simulator's reports give it (Nsight names kernels itself).
template <typename... Params, typename... Args>
void LaunchKernel(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                  const Args&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "one argument per kernel parameter");
#ifdef LATENT_CUDA_SIM
  // Runs to completion before it returns; each simulated thread calls the kernel with its own
  // copy of the arguments, as a real launch does.
  sim::Launch(name, reinterpret_cast<const void*>(kernel), grid, block,
              [&] { kernel(args...); });
#else
  kernel<<<grid, block, 0, CurrentCudaStream()>>>(args...);
#endif
  LATENT_CUDA_CHECK_LAUNCH(name);
}

}  // namespace latent::kernels::cuda_detail

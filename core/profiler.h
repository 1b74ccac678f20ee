// Markers for the NVIDIA profilers (docs/profiling.md): NVTX ranges that Nsight Systems draws on
// its timeline and Nsight Compute can filter kernels by, and the CUDA profiler's capture range
// (`ncu --profile-from-start off`, `nsys --capture-range=cudaProfilerApi`).
//
// In a build without CUDA, NvtxRange is an empty object and costs nothing; ProfilerStart and
// ProfilerStop throw, because nothing calls them unless training runs on a CUDA device.
#pragma once

#ifdef LATENT_WITH_CUDA
#include <nvtx3/nvToolsExt.h>
#endif

namespace latent {

// Pushes an NVTX range named `name` for the lifetime of the object. `name` must outlive it (pass
// a string literal or a string from a table built once): no copy is made, nothing is allocated.
// Without a profiler attached, NVTX's push and pop are calls through a no-op stub.
class NvtxRange {
 public:
#ifdef LATENT_WITH_CUDA
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
#else
  explicit NvtxRange(const char*) {}
#endif
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

// cudaProfilerStart / cudaProfilerStop: open and close the capture range of a profiler started
// with "profile from start" off. Both synchronize the current device first, so the range holds
// exactly the work queued between the two calls. Without CUDA support they throw latent::Error.
void ProfilerStart();
void ProfilerStop();

}  // namespace latent

// Sends an operation on tensor `t` to its CPU kernel (instantiated for the tensor's f32 or f64
// element type) or its CUDA kernel (f32). Call sites pass two generic lambdas:
//
//   Dispatch("relu", x,
//            [&](auto zero) { using T = decltype(zero); kernels::UnaryForwardCpu<T>(...); },
//            [&](auto) { kernels::UnaryForwardCuda(...); });
//
// The CUDA lambda is generic so that, in a build without CUDA, it is never instantiated and the
// *Cuda symbols are never referenced. On the CUDA path the launch sits in an NVTX range named
// `op` (core/profiler.h), so Nsight Systems shows which op each kernel belongs to.
#pragma once

#include "core/cuda_runtime.h"
#include "core/profiler.h"
#include "core/tensor.h"

namespace latent {

template <typename CpuFn, typename CudaFn>
void Dispatch(const char* op, const Tensor& t, CpuFn&& cpu, CudaFn&& cuda) {
  if (t.device().is_cpu()) {
    switch (t.dtype()) {
      case DType::kF32: cpu(float{}); return;
      case DType::kF64: cpu(double{}); return;
      default: LATENT_FAIL(op, ": expected an f32 or f64 tensor, found ", DTypeName(t.dtype()));
    }
  }
#ifdef LATENT_WITH_CUDA
  LATENT_CHECK(t.dtype() == DType::kF32, op, ": CUDA kernels take f32 tensors, found ",
               DTypeName(t.dtype()));
  CudaSetDevice(t.device().index);
  NvtxRange range(op);
  cuda(0);
#else
  (void)cuda;
  LATENT_FAIL(op, ": this build of latent has no CUDA support; use --device cpu");
#endif
}

}  // namespace latent

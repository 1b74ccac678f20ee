// LATENT_HOST_DEVICE marks the functions that CPU and CUDA kernels both call: the elementwise
// formulas of the family headers (kernels/<family>.h) and the Philox generator. Under nvcc such a
// function is compiled for the host and the device, and always inlined: a formula is a few
// instructions, cheaper than a call. Elsewhere it is a plain inline function, for the C++ compiler
// of the CPU kernels and for the CUDA simulator, which compiles the .cu files as C++.
#pragma once

#if defined(__CUDACC__)
#define LATENT_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define LATENT_HOST_DEVICE inline
#endif

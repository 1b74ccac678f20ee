// The CUDA runtime API as latent uses it, implemented on the CPU by the CUDA simulator
// (kernels/sim/, built with -DLATENT_CUDA=SIM). This header stands in for the toolkit's
// <cuda_runtime.h>, so the same .cu files compile as C++ with g++ or clang++:
//
//   - device code: __global__, __device__, __shared__ ... become plain C++; threadIdx, blockIdx,
//     blockDim and gridDim are variables the scheduler sets before it resumes a thread;
//     __syncthreads and the warp shuffles are calls into the scheduler, which checks them.
//   - host code: devices, streams, memory, copies and errors, with the checks a GPU would make
//     and more (range checks on every copy and memset, NaN-filled fresh memory).
//
// Only what latent's kernels and runtime call is here; anything else fails to compile, which is
// the point: a new CUDA feature gets its simulation before it is used.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

// --- function and variable qualifiers ------------------------------------------------------------

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Every __shared__ variable is a static in one linker section, "latent_shared". Blocks run one
// at a time, so one copy serves every block; the simulator fills the section with NaN before each
// block (a read of shared memory nobody wrote shows) and finds the arrays by their symbols.
#define __shared__ static __attribute__((section("latent_shared")))

// --- vector types --------------------------------------------------------------------------------

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}  // NOLINT: implicit, as in CUDA
};

struct alignas(16) float4 {
  float x, y, z, w;
  // Copies member by member: an aggregate copy becomes a memcpy (under AddressSanitizer a call to
  // it), whose stores the race detector's load and store hooks never see.
  float4() = default;
  float4(float vx, float vy, float vz, float vw) : x(vx), y(vy), z(vz), w(vw) {}
  float4(const float4& o) : x(o.x), y(o.y), z(o.z), w(o.w) {}
  float4& operator=(const float4& o) {
    x = o.x, y = o.y, z = o.z, w = o.w;
    return *this;
  }
};
inline float4 make_float4(float x, float y, float z, float w) { return float4(x, y, z, w); }

// --- built-in variables --------------------------------------------------------------------------

// The coordinates of the simulated thread that is running. Set by the scheduler on every switch;
// kernels only read them (a write would not compile under nvcc).
extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;
constexpr int warpSize = 32;

// --- device functions ----------------------------------------------------------------------------

namespace latent::sim {
// Scheduler entry points (kernels/sim/block.cc). `file` and `line` name the call site: every
// thread of a block must meet at the same barrier, every lane of a shuffle at the same shuffle.
void SyncThreads(const char* file, int line);
enum class ShuffleKind { kIndex, kUp, kDown, kXor };
uint64_t Shuffle(ShuffleKind kind, unsigned mask, uint64_t bits, int arg, int width,
                 const char* file, int line);

template <typename T>
T ShuffleValue(ShuffleKind kind, unsigned mask, T value, int arg, int width, const char* file,
               int line) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "a shuffle moves at most 64 bits");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = Shuffle(kind, mask, bits, arg, width, file, line);
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}
}  // namespace latent::sim

#define __syncthreads() ::latent::sim::SyncThreads(__FILE__, __LINE__)
#define LATENT_SIM_SHUFFLE_(kind, mask, value, arg, width, ...)                                    \
  ::latent::sim::ShuffleValue(::latent::sim::ShuffleKind::kind, mask, value, arg, width, __FILE__, \
                              __LINE__)
// The width argument is optional (default warpSize), as in CUDA.
#define __shfl_sync(...) LATENT_SIM_SHUFFLE_(kIndex, __VA_ARGS__, 32, 0)
#define __shfl_up_sync(...) LATENT_SIM_SHUFFLE_(kUp, __VA_ARGS__, 32, 0)
#define __shfl_down_sync(...) LATENT_SIM_SHUFFLE_(kDown, __VA_ARGS__, 32, 0)
#define __shfl_xor_sync(...) LATENT_SIM_SHUFFLE_(kXor, __VA_ARGS__, 32, 0)

// CUDA's device code has min and max for every arithmetic type in the global namespace.
#define LATENT_SIM_MIN_MAX_(T)                     \
  inline T min(T a, T b) { return b < a ? b : a; } \
  inline T max(T a, T b) { return a < b ? b : a; }
LATENT_SIM_MIN_MAX_(int)
LATENT_SIM_MIN_MAX_(unsigned)
LATENT_SIM_MIN_MAX_(long)
LATENT_SIM_MIN_MAX_(unsigned long)
LATENT_SIM_MIN_MAX_(long long)
LATENT_SIM_MIN_MAX_(unsigned long long)
#undef LATENT_SIM_MIN_MAX_
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
// The standard math functions (expf, log1pf, fmaf, ...) come from <cmath>: glibc's, not the
// GPU's, which is why simulated results say nothing about nvcc's rounding.

// --- host API -----------------------------------------------------------------------------------

enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevice = 101,
  cudaErrorNoDevice = 100,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
using cudaError_t = cudaError;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
};

struct CUstream_st;
using cudaStream_t = CUstream_st*;
constexpr unsigned cudaStreamDefault = 0, cudaStreamNonBlocking = 1;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int multiProcessorCount;
  int major, minor;
};

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaDriverGetVersion(int* version);
cudaError_t cudaRuntimeGetVersion(int* version);
cudaError_t cudaDeviceSynchronize();

cudaError_t cudaMalloc(void** ptr, size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
cudaError_t cudaFree(void* ptr);
// Stream-ordered allocation. Every simulated kernel has finished when its launch returns, so the
// stream's order is already met: these are cudaMalloc and cudaFree. The pool's release threshold
// is accepted and has nothing to control.
cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t stream);
cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream);
using cudaMemPool_t = struct CUmemPoolHandle_st*;
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold = 4 };
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device);
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream = nullptr);

cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

// The last error of this host thread, cleared by cudaGetLastError (not by cudaPeekAtLastError).
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
// For the errors the simulator raises itself (a failed launch check, a barrier or shuffle
// mismatch, a race, a copy out of range) this is the full report of the latest one: what was
// expected, what was found, and which kernel, block and thread.
const char* cudaGetErrorString(cudaError_t error);

// The simulated device: one CUDA device that runs on the CPU, its streams (work runs when it is
// issued, so streams are names only) and the runtime's error state.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/sim/internal.h"
#include "kernels/sim/launch.h"

namespace latent::sim {
namespace {

// The name every report of the device gives: it must be impossible to take for a GPU.
constexpr const char* kDeviceName = "CUDA simulator on the CPU (no GPU; checks, not speed)";

// As an H100 SXM reports itself, so that launchers which size their work by the number of SMs
// (the SGEMM's tile choice) take the path they take on the GPU CI is standing in for.
constexpr int kMultiprocessors = 132;

struct ErrorState {
  cudaError_t code = cudaSuccess;
  cudaError_t reported = cudaSuccess;  // the code `message` belongs to
  std::string message;
};
thread_local ErrorState error_state;

int current_device = 0;

cudaError_t CheckDevice(int device) {
  if (device == 0) return cudaSuccess;
  return Fail(cudaErrorInvalidDevice, "device " + std::to_string(device) +
                                          " does not exist: the simulator has one, device 0");
}

}  // namespace

cudaError_t Fail(cudaError_t code, const std::string& message) {
  error_state.code = code;
  error_state.reported = code;
  error_state.message = message;
  if (std::getenv("LATENT_SIM_VERBOSE") != nullptr)
    std::fprintf(stderr, "latent sim: %s\n", message.c_str());
  return code;
}

}  // namespace latent::sim

using latent::sim::Fail;

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return Fail(cudaErrorInvalidValue, "cudaGetDeviceCount: null pointer");
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (cudaError_t err = latent::sim::CheckDevice(device); err != cudaSuccess) return err;
  latent::sim::current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return Fail(cudaErrorInvalidValue, "cudaGetDevice: null pointer");
  *device = latent::sim::current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (cudaError_t err = latent::sim::CheckDevice(device); err != cudaSuccess) return err;
  if (prop == nullptr) return Fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: null pointer");
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "%s", latent::sim::kDeviceName);
  size_t free_bytes = 0;
  cudaMemGetInfo(&free_bytes, &prop->totalGlobalMem);
  prop->sharedMemPerBlock = 48 << 10;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->multiProcessorCount = latent::sim::kMultiprocessors;
  prop->major = 9;
  prop->minor = 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (cudaError_t err = latent::sim::CheckDevice(device); err != cudaSuccess) return err;
  if (value == nullptr) return Fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: null pointer");
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 << 10; return cudaSuccess;
    case cudaDevAttrWarpSize: *value = 32; return cudaSuccess;
    case cudaDevAttrMultiProcessorCount: *value = latent::sim::kMultiprocessors; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor: *value = 9; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; return cudaSuccess;
  }
  return Fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute " +
                                         std::to_string(static_cast<int>(attr)) +
                                         " is not simulated");
}

// 0: no driver and no runtime, only the simulator.
cudaError_t cudaDriverGetVersion(int* version) {
  if (version != nullptr) *version = 0;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  if (version != nullptr) *version = 0;
  return cudaSuccess;
}

// Every launch, copy and memset completes before it returns: there is nothing to wait for.
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, cudaStreamDefault);
}

// A stream is a name only: a distinct non-null handle that is never dereferenced.
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  if (stream == nullptr) return Fail(cudaErrorInvalidValue, "cudaStreamCreate: null pointer");
  static uintptr_t next = 0;
  *stream = reinterpret_cast<cudaStream_t>(++next);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }

cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

cudaError_t cudaGetLastError() {
  const cudaError_t code = latent::sim::error_state.code;
  latent::sim::error_state.code = cudaSuccess;
  return code;
}

cudaError_t cudaPeekAtLastError() { return latent::sim::error_state.code; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  const latent::sim::ErrorState& state = latent::sim::error_state;
  if (error == state.reported && !state.message.empty()) return state.message.c_str();
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInitializationError: return "initialization error";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

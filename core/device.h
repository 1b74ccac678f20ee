// Where a tensor lives (CPU or a CUDA device) and what it holds (f32, f64, i32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace latent {

enum class DeviceType : uint8_t { kCpu, kCuda };

struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;  // CUDA ordinal; 0 for the CPU

  bool is_cpu() const { return type == DeviceType::kCpu; }
  bool is_cuda() const { return type == DeviceType::kCuda; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string ToString() const;

  static Device Cpu() { return {}; }
  static Device Cuda(int index = 0) { return {DeviceType::kCuda, index}; }
  // "cpu", "cuda", "cuda:N", or "auto" (the first CUDA device when one works, else the CPU).
  static Device Parse(const std::string& text);
};

// f64 exists for double-precision gradient checks on the CPU; i32 holds indices and labels.
enum class DType : uint8_t { kF32, kF64, kI32 };

inline size_t ElementSize(DType t) { return t == DType::kF64 ? 8 : 4; }
const char* DTypeName(DType t);

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <>
struct DTypeOf<double> { static constexpr DType value = DType::kF64; };
template <>
struct DTypeOf<int32_t> { static constexpr DType value = DType::kI32; };

// True when this binary was built with the CUDA kernels and at least one GPU answers. Any error
// from the driver (e.g. "driver version is insufficient" on a machine with no GPU) means no GPU.
bool CudaAvailable();
int CudaDeviceCount();

}  // namespace latent

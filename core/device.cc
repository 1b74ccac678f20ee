#include "core/device.h"

#include <cstdlib>

#include "kernels/error.h"

namespace latent {

std::string Device::ToString() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device Device::Parse(const std::string& text) {
  if (text == "cpu") return Cpu();
  if (text == "auto") return CudaAvailable() ? Cuda(0) : Cpu();
  if (text == "cuda") return Cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string digits = text.substr(5);
    char* end = nullptr;
    const long index = std::strtol(digits.c_str(), &end, 10);
    if (!digits.empty() && *end == '\0' && index >= 0) return Cuda(static_cast<int>(index));
  }
  LATENT_FAIL("unknown device '", text, "': expected auto, cpu, cuda or cuda:N");
}

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
    case DType::kI32: return "i32";
  }
  return "?";
}

}  // namespace latent

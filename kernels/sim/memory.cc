// Device memory in the simulator: host memory, with the checks a GPU's memory system does not
// make.
//
// - Every allocation is 256-byte aligned (as cudaMalloc's) and filled with NaN (all bits set),
//   so a kernel that reads memory nobody wrote computes NaN instead of a plausible zero.
// - Behind every allocation lies a 256-byte redzone. After each launch the simulator checks the
//   redzones: a kernel that wrote past the end of a buffer is named. Under AddressSanitizer there
//   is no redzone of ours: the allocation has exactly the size asked for, and ASan's own redzones
//   stop the faulting access itself, read or write, with its stack.
// - Copies and memsets check their range: a device pointer must lie inside one live allocation
//   and the bytes must fit in it; the direction must match the pointers' kinds.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "kernels/sim/internal.h"

namespace latent::sim {
namespace {

constexpr size_t kAlignment = 256;
#ifdef LATENT_SIM_ASAN
constexpr size_t kRedzone = 0;
#else
constexpr size_t kRedzone = 256;
#endif
constexpr unsigned char kFresh = 0xFF;    // NaN as f32 and f64
constexpr unsigned char kRedByte = 0xCD;  // what an intact redzone holds

std::mutex mutex;
std::map<uintptr_t, size_t> allocations;  // start -> bytes the caller asked for

unsigned char* Redzone(uintptr_t start, size_t bytes) {
  return reinterpret_cast<unsigned char*>(start + bytes);
}

// The allocation that holds `p`, or allocations.end(). Caller holds the mutex.
std::map<uintptr_t, size_t>::iterator Find(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  auto it = allocations.upper_bound(address);
  if (it == allocations.begin()) return allocations.end();
  --it;
  // The redzone counts as part of the allocation here, so a pointer just past the end is
  // reported as out of range rather than taken for host memory.
  return address < it->first + it->second + kRedzone ? it : allocations.end();
}

std::string Hex(const void* p) {
  std::ostringstream s;
  s << p;
  return s.str();
}

// "" when [p, p + bytes) is host memory or lies inside one device allocation; else why not.
// *device tells which. Caller holds the mutex.
std::string CheckRange(const char* what, const void* p, size_t bytes, bool* device) {
  const auto it = Find(p);
  *device = it != allocations.end();
  if (!*device) return "";
  const size_t offset = reinterpret_cast<uintptr_t>(p) - it->first;
  if (offset + bytes <= it->second) return "";
  return std::string(what) + " range of " + std::to_string(bytes) + " bytes at " + Hex(p) +
         " (byte " + std::to_string(offset) + " of a " + std::to_string(it->second) +
         "-byte device allocation at " + Hex(reinterpret_cast<void*>(it->first)) +
         ") runs past its end by " + std::to_string(offset + bytes - it->second) + " bytes";
}

const char* KindName(cudaMemcpyKind kind) {
  switch (kind) {
    case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
    case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
    case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
    case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
    case cudaMemcpyDefault: return "cudaMemcpyDefault";
  }
  return "an unknown cudaMemcpyKind";
}

}  // namespace

std::string CheckDeviceRange(const char* what, const void* p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  bool device = false;
  std::string why = CheckRange(what, p, bytes, &device);
  if (why.empty() && !device && bytes > 0)
    why = std::string(what) + " at " + Hex(p) + " is not device memory";
  return why;
}

std::string CheckRedzones() {
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& [start, bytes] : allocations) {
    const unsigned char* red = Redzone(start, bytes);
    for (size_t i = 0; i < kRedzone; ++i) {
      if (red[i] == kRedByte) continue;
      std::memset(const_cast<unsigned char*>(red), kRedByte, kRedzone);  // report it once
      return "wrote past the end of the " + std::to_string(bytes) + "-byte device allocation at " +
             Hex(reinterpret_cast<void*>(start)) + " (" + std::to_string(i) +
             " bytes past it, and maybe more)";
    }
  }
  return "";
}

}  // namespace latent::sim

using latent::sim::Fail;

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  using namespace latent::sim;
  if (ptr == nullptr) return Fail(cudaErrorInvalidValue, "cudaMalloc: the result pointer is null");
  *ptr = nullptr;
  void* p = nullptr;
  if (bytes > (size_t{1} << 48) || posix_memalign(&p, kAlignment, bytes + kRedzone) != 0)
    return Fail(cudaErrorMemoryAllocation,
                "cudaMalloc: out of memory for " + std::to_string(bytes) + " bytes");
  std::memset(p, kFresh, bytes);
  std::memset(static_cast<char*>(p) + bytes, kRedByte, kRedzone);
  std::lock_guard<std::mutex> lock(mutex);
  allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  using namespace latent::sim;
  if (ptr == nullptr) return cudaSuccess;
  std::lock_guard<std::mutex> lock(mutex);
  const auto it = allocations.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == allocations.end())
    return Fail(cudaErrorInvalidValue,
                "cudaFree(" + Hex(ptr) + "): not the start of a live device allocation");
  allocations.erase(it);
  std::free(ptr);
  return cudaSuccess;
}

cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t) { return cudaMalloc(ptr, bytes); }
cudaError_t cudaFreeAsync(void* ptr, cudaStream_t) { return cudaFree(ptr); }

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  if (pool == nullptr || device != 0)
    return Fail(cudaErrorInvalidValue, "cudaDeviceGetDefaultMemPool: bad pool pointer or device");
  *pool = nullptr;
  return cudaSuccess;
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, cudaMemPoolAttr, void* value) {
  return value == nullptr ? Fail(cudaErrorInvalidValue, "cudaMemPoolSetAttribute: null value")
                          : cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  using namespace latent::sim;
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t total = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * page;
  const size_t available = static_cast<size_t>(sysconf(_SC_AVPHYS_PAGES)) * page;
  if (total_bytes != nullptr) *total_bytes = total;
  if (free_bytes != nullptr) *free_bytes = available;
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t) {
  using namespace latent::sim;
  if (bytes == 0) return cudaSuccess;
  std::unique_lock<std::mutex> lock(mutex);
  bool dst_device = false, src_device = false;
  std::string why = CheckRange("destination", dst, bytes, &dst_device);
  if (why.empty()) why = CheckRange("source", src, bytes, &src_device);
  if (why.empty()) {
    const bool want_dst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool want_src = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind != cudaMemcpyDefault && (want_dst != dst_device || want_src != src_device)) {
      why = std::string(KindName(kind)) + " with a " + (src_device ? "device" : "host") +
            " source and a " + (dst_device ? "device" : "host") + " destination";
    }
  }
  lock.unlock();
  if (!why.empty()) return Fail(cudaErrorInvalidValue, "cudaMemcpy: " + why);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t) {
  using namespace latent::sim;
  if (bytes == 0) return cudaSuccess;
  std::unique_lock<std::mutex> lock(mutex);
  bool device = false;
  std::string why = CheckRange("memset", ptr, bytes, &device);
  if (why.empty() && !device) why = "memset of " + Hex(ptr) + ", which is not device memory";
  lock.unlock();
  if (!why.empty()) return Fail(cudaErrorInvalidValue, "cudaMemset: " + why);
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  return cudaMemsetAsync(ptr, value, bytes, nullptr);
}

#include "core/allocator.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "core/cuda_runtime.h"
#include "kernels/error.h"

namespace latent {
namespace {

constexpr size_t kGranule = 256;

size_t RoundUp(size_t bytes) { return (bytes + kGranule - 1) / kGranule * kGranule; }

void* CpuRawAlloc(size_t bytes) {
  CheckFitsInMemory(Device::Cpu(), bytes, 1, "a tensor");
  // posix_memalign, not aligned_alloc: exact mode asks for sizes that are no multiple of 256.
  void* p = nullptr;
  if (posix_memalign(&p, kGranule, bytes) != 0) throw std::bad_alloc();
  return p;
}
void CpuRawFree(void* p) { std::free(p); }

bool ExactMode() {
#if defined(__SANITIZE_ADDRESS__)
  bool exact = true;
#elif defined(__has_feature)
  bool exact = __has_feature(address_sanitizer);
#else
  bool exact = false;
#endif
  if (const char* v = std::getenv("LATENT_ALLOCATOR"); v != nullptr && *v != '\0') {
    const std::string mode = v;
    LATENT_CHECK(mode == "exact" || mode == "caching", "LATENT_ALLOCATOR='", mode,
                 "': expected exact or caching");
    exact = mode == "exact";
  }
  return exact;
}

uint64_t PhysicalMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  LATENT_CHECK(pages > 0 && page_size > 0, "cannot read the machine's physical memory: sysconf "
               "returned ", pages, " pages of ", page_size, " bytes");
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

// "64 GiB (68721049600 bytes)"; a double, so that a request beyond 2^64 bytes prints too.
std::string GiB(double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4g GiB (%.0f bytes)", bytes / (1 << 30), bytes);
  return text;
}

}  // namespace

uint64_t MemoryCapacity(Device device) {
  if (device.is_cpu()) {
    static const uint64_t physical = PhysicalMemory();  // constant while the program runs
    return physical;
  }
  size_t free_bytes = 0, total_bytes = 0;
  CudaMemoryInfo(device.index, &free_bytes, &total_bytes);
  return total_bytes;
}

void CheckFitsInMemory(Device device, uint64_t count, uint64_t bytes_each,
                       const std::string& what) {
  const uint64_t capacity = MemoryCapacity(device);
  if (bytes_each == 0 || count <= capacity / bytes_each) return;
  LATENT_FAIL("out of memory: ", what, " needs ",
              GiB(static_cast<double>(count) * static_cast<double>(bytes_each)), " on ",
              device.ToString(), "; ", device.is_cpu() ? "this machine has " : "the GPU has ",
              GiB(static_cast<double>(capacity)), device.is_cpu() ? " of physical memory" : "");
}

CachingAllocator::CachingAllocator(RawAlloc raw_alloc, RawFree raw_free)
    : raw_alloc_(raw_alloc), raw_free_(raw_free), exact_(ExactMode()) {}

void* CachingAllocator::Allocate(size_t bytes) {
  if (exact_) {
    ++raw_allocations_;
    return raw_alloc_(bytes == 0 ? 1 : bytes);
  }
  const size_t size = RoundUp(bytes == 0 ? 1 : bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_blocks_.find(size);
    if (it != free_blocks_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      cached_bytes_ -= size;
      return p;
    }
  }
  ++raw_allocations_;
  try {
    return raw_alloc_(size);
  } catch (const std::bad_alloc&) {
    // Out of memory with blocks parked in the cache: give them back and try once more.
    ReleaseCached();
    return raw_alloc_(size);
  }
}

void CachingAllocator::Free(void* ptr, size_t bytes) {
  if (ptr == nullptr) return;
  if (exact_) {
    raw_free_(ptr);
    return;
  }
  const size_t size = RoundUp(bytes == 0 ? 1 : bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  free_blocks_[size].push_back(ptr);
  cached_bytes_ += size;
}

void CachingAllocator::ReleaseCached() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, blocks] : free_blocks_)
    for (void* p : blocks) raw_free_(p);
  free_blocks_.clear();
  cached_bytes_ = 0;
}

Allocator& AllocatorFor(Device device) {
  if (device.is_cpu()) {
    static CachingAllocator cpu(CpuRawAlloc, CpuRawFree);
    return cpu;
  }
  return CudaAllocator(device.index);
}

}  // namespace latent

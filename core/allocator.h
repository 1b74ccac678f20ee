// Memory for tensors. Each device has one caching allocator: freed blocks are kept in per-size
// free lists and handed out again, so a training step that allocates the same sizes every
// iteration stops calling malloc/cudaMalloc after its first step.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/device.h"

namespace latent {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* Allocate(size_t bytes) = 0;
  virtual void Free(void* ptr, size_t bytes) = 0;
};

// Wraps a raw allocator (RawAlloc/RawFree) with exact-size free lists. Sizes are rounded up to
// 256 bytes, which also keeps every block aligned for 512-bit loads.
//
// In exact mode it caches nothing and rounds nothing: each block has exactly the size asked for
// and goes back to the raw allocator when freed, so AddressSanitizer (and the CUDA simulator's
// redzones) catch an access past the end of a tensor or after its release, which a rounded,
// recycled block would hide. Exact mode is on in builds with AddressSanitizer, and wherever
// LATENT_ALLOCATOR=exact (LATENT_ALLOCATOR=caching turns it off).
class CachingAllocator : public Allocator {
 public:
  using RawAlloc = void* (*)(size_t bytes);
  using RawFree = void (*)(void* ptr);
  CachingAllocator(RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator() override { ReleaseCached(); }

  void* Allocate(size_t bytes) override;
  void Free(void* ptr, size_t bytes) override;
  // Returns every cached block to the raw allocator (e.g. before retrying a failed allocation).
  void ReleaseCached();
  size_t cached_bytes() const { return cached_bytes_; }
  // Blocks taken from the raw allocator so far: in the steady state of training (every step
  // asking for the sizes the step before it freed) this stops growing (tests/steady_state_test.cc).
  uint64_t raw_allocations() const { return raw_allocations_; }
  bool exact() const { return exact_; }

 private:
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  bool exact_;
  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_blocks_;
  size_t cached_bytes_ = 0;
  std::atomic<uint64_t> raw_allocations_{0};
};

// The allocator for a device (created on first use, lives for the program).
Allocator& AllocatorFor(Device device);

// The memory `device` has in all: a CPU's physical memory (sysconf: pages times page size), a
// GPU's total memory (cudaMemGetInfo).
uint64_t MemoryCapacity(Device device);

// Throws latent::Error when `count` items of `bytes_each` bytes need more memory than `device`
// has in all, saying how much was asked for and how much there is:
//   "out of memory: a model of 8696890158 parameters (f32 values and gradients, f32 initial
//    values) needs 97.2 GiB (104362682880 bytes) on cpu; this machine has 23.54 GiB (25276157952
//    bytes) of physical memory"
// Such a request cannot succeed, and failing it by name beats a bad_alloc (or, with overcommit,
// a process killed later). Taking a count and a size keeps the product from overflowing.
void CheckFitsInMemory(Device device, uint64_t count, uint64_t bytes_each, const std::string& what);

}  // namespace latent

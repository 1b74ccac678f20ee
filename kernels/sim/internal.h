// What the simulator's parts share (kernels/sim/*.cc only): errors, the running thread, shared
// memory and device memory checks.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

// Defined in builds with AddressSanitizer, whose annotations and redzones the simulator then
// uses (fiber.cc, memory.cc).
#if defined(__SANITIZE_ADDRESS__)
#define LATENT_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LATENT_SIM_ASAN 1
#endif
#endif

namespace latent::sim {

// --- errors (runtime.cc)
// --------------------------------------------------------------------------- Records `code` as
// this host thread's last error, with `message` as its cudaGetErrorString, and returns it.
cudaError_t Fail(cudaError_t code, const std::string& message);

// --- the running kernel (block.cc) ---------------------------------------------------------------
// The linear index of the simulated thread that is running, or -1 outside a kernel.
extern int running_thread;
// Whether the running launch records shared-memory accesses (Settings::race_detector).
extern bool race_detector;
// "thread 37 (37, 0, 0) of block (2, 0, 0) of kernel SumKernel<float, double>"
std::string DescribeThread(int linear_thread);
// Ends the launch from inside a simulated thread: the report becomes the launch's error.
[[noreturn]] void KernelFault(const std::string& report);

// --- shared memory (shared.cc) -------------------------------------------------------------------
// Called at the start of each block: fills the __shared__ arrays written since the last fill
// (`whole`: every array) with NaN, and opens a new barrier interval.
void BeginBlockShared(bool whole);
// Called when a barrier releases the block: accesses before it are ordered before those after.
void BarrierShared(const char* file, int line);
// After a kernel's first block: the bytes of static shared memory its arrays take, judged by the
// arrays it wrote, with their names in `arrays`.
size_t SharedFootprint(std::string* arrays);
// Where a shared address lies: "lane_sums[+16] (ColumnSumKernel<float, float>::lane_sums, 2048
// bytes)".
std::string DescribeSharedAddress(uintptr_t address);

// --- device memory (memory.cc) -------------------------------------------------------------------
// "" when [p, p + bytes) lies inside one live device allocation; otherwise why not, naming the
// range as `what`.
std::string CheckDeviceRange(const char* what, const void* p, size_t bytes);
// The first write past the end of a live device allocation since the last check, or "".
std::string CheckRedzones();

}  // namespace latent::sim

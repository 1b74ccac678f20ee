// Kernel launches in the CUDA simulator, and the knobs that choose how a launch is scheduled.
//
// A launch runs to completion before Launch returns: the blocks one at a time, and each block's
// threads as fibers on the calling thread. A thread runs until it reaches a barrier, a shuffle or
// its end; the scheduling policy then picks the next thread. What the policies vary (the order of
// blocks, the order of threads, one warp held back until nothing else can run) is what a GPU
// varies without asking, so a kernel that passes under all of them does not lean on luck.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace latent::sim {

enum class Order { kForward, kReverse, kShuffle };

struct Schedule {
  Order blocks = Order::kForward;
  Order threads = Order::kForward;
  int starve_warp = -1;  // a warp of each block held back until nothing else can run; -1: none
  uint64_t seed = 1;     // for the shuffled orders
};

// The schedule of later launches. Initially from the environment: LATENT_SIM_BLOCKS and
// LATENT_SIM_THREADS (forward | reverse | shuffle), LATENT_SIM_STARVE_WARP (a warp index, or
// none), LATENT_SIM_SEED. A malformed value fails the first launch, naming the variable.
Schedule CurrentSchedule();
void SetSchedule(const Schedule& schedule);
std::string Describe(const Schedule& schedule);

// Whether this build records shared-memory accesses (clang's load/store instrumentation of the
// kernel files): the race detector needs them; the other checks do not.
bool RaceDetectorEnabled();

// The simulator's counterpart of a launch: `kernel` identifies the kernel (its address), `name`
// is how reports call it. Sets the last error (cudaGetLastError) when a check fails.
using ThreadBody = void (*)(const void* closure);
void LaunchBlocks(const char* name, const void* kernel, dim3 grid, dim3 block, ThreadBody body,
                  const void* closure);

template <typename Body>
void Launch(const char* name, const void* kernel, dim3 grid, dim3 block, const Body& body) {
  LaunchBlocks(name, kernel, grid, block,
               [](const void* closure) { (*static_cast<const Body*>(closure))(); }, &body);
}

}  // namespace latent::sim

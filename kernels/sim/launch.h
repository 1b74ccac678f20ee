// Kernel launches in the CUDA simulator, and the settings that choose how a launch is scheduled.
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

struct Settings {
  Order blocks = Order::kForward;
  Order threads = Order::kForward;
  int starve_warp = -1;       // a warp of each block held back until nothing else can run; -1: none
  uint64_t seed = 1;          // for the shuffled orders
  bool race_detector = true;  // off: shared-memory accesses are not recorded (faster)
};

// The settings of later launches. Initially from the environment: LATENT_SIM_BLOCKS and
// LATENT_SIM_THREADS (forward | reverse | shuffle), LATENT_SIM_STARVE_WARP (a warp index, or
// none), LATENT_SIM_SEED, LATENT_SIM_RACECHECK (1 | 0). A malformed value fails the first
// launch, naming the variable.
Settings CurrentSettings();
void SetSettings(const Settings& settings);
// "blocks forward, threads shuffle, warp 0 starved, seed 7, race detector on"
std::string Describe(const Settings& settings);

// The simulator's counterpart of a launch: `kernel` identifies the kernel (its address), `name`
// is how reports call it. Sets the last error (cudaGetLastError) when a check fails.
using ThreadBody = void (*)(const void* closure);
void LaunchBlocks(const char* name, const void* kernel, dim3 grid, dim3 block, ThreadBody body,
                  const void* closure);

template <typename Body>
void Launch(const char* name, const void* kernel, dim3 grid, dim3 block, const Body& body) {
  LaunchBlocks(
      name, kernel, grid, block,
      [](const void* closure) { (*static_cast<const Body*>(closure))(); }, &body);
}

}  // namespace latent::sim

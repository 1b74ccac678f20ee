// Tests of the CUDA simulator itself (kernels/sim/, the build with -DLATENT_CUDA=SIM): small
// kernels with the classic mistakes, each of which the simulator must catch, and the checks on
// launches, copies and fresh memory. Each bug test asserts the report names the kernel and says
// what was wrong; without the check that catches it, the test fails.
//
// The race detector catches the barrier bugs below in any schedule. Each of those tests also
// turns it off, to show what the rest of the simulator still sees (NaN from fresh shared memory,
// a wrong result under the schedule that exposes the bug) and what it does not.
#ifdef LATENT_CUDA_SIM

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/sim/launch.h"
#include "tests/cuda_test_util.h"
#include "tests/test_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define LATENT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LATENT_TEST_ASAN 1
#endif
#endif

namespace latent::kernels {
namespace {

using cuda_detail::LaunchKernel;
using testing::DeviceBuffer;
using testing::ExpectErrorContaining;

// Sets the simulator's settings for one scope and restores the previous ones.
class SettingsScope {
 public:
  explicit SettingsScope(const sim::Settings& s) : saved_(sim::CurrentSettings()) {
    sim::SetSettings(s);
  }
  ~SettingsScope() { sim::SetSettings(saved_); }

 private:
  sim::Settings saved_;
};

// The bug tests assert what the default schedule reports, whatever the environment says.
class SimBugs : public ::testing::Test {
 private:
  SettingsScope defaults_{sim::Settings{}};
};

sim::Settings StarveWarp(int warp, bool race_detector = true) {
  sim::Settings s;
  s.starve_warp = warp;
  s.race_detector = race_detector;
  return s;
}

sim::Settings Threads(sim::Order order, bool race_detector = true) {
  sim::Settings s;
  s.threads = order;
  s.race_detector = race_detector;
  return s;
}

// --- a missing barrier ---------------------------------------------------------------------------

constexpr int kSmallBlock = 64;

// out[0] = sum of x[0..63]. BUG when !kBarrier: thread 0 reads the other threads' partials
// without waiting for them to be written.
template <bool kBarrier>
__global__ void BlockTotal(const float* x, float* out) {
  // x: (64), out: (1)
  __shared__ float partial[kSmallBlock];
  partial[threadIdx.x] = x[threadIdx.x];
  if (kBarrier) __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.0f;
    for (int i = 0; i < kSmallBlock; ++i) total += partial[i];
    out[0] = total;
  }
}

float RunBlockTotal(bool barrier) {
  std::vector<float> x(kSmallBlock);
  std::iota(x.begin(), x.end(), 1.0f);
  DeviceBuffer<float> x_d(x), out_d(1);
  if (barrier) {
    LaunchKernel("BlockTotal<true>", BlockTotal<true>, 1, kSmallBlock, x_d.get(), out_d.get());
  } else {
    LaunchKernel("BlockTotal<false>", BlockTotal<false>, 1, kSmallBlock, x_d.get(), out_d.get());
  }
  return out_d.Download()[0];
}

TEST_F(SimBugs, MissingBarrierIsCaught) {
  EXPECT_EQ(RunBlockTotal(true), 64.0f * 65.0f / 2.0f);  // the correct kernel
  // Thread 0 reads partial[1] first (the forward order runs it first), then thread 1 writes it.
  ExpectErrorContaining([] { RunBlockTotal(false); },
                        {"shared-memory race", "kernel BlockTotal<false>", "partial[+4 bytes]",
                         "thread 1 (1, 0, 0)", "which thread 0 read", "start of the block"});
  // Without the detector: thread 0 adds the NaN that fresh shared memory holds.
  SettingsScope no_detector(Threads(sim::Order::kForward, /*race_detector=*/false));
  EXPECT_TRUE(std::isnan(RunBlockTotal(false)));
}

// --- BlockSum without its second barrier
// -----------------------------------------------------------

constexpr int kBlock = 256, kWarps = kBlock / 32;

// cuda_detail::BlockSum with its second __syncthreads removed: warp 0 may still be reading
// warp_sums when the other warps, on to the next row, overwrite it.
__device__ double BlockSumMissingSecondBarrier(double v) {
  __shared__ double warp_sums[kWarps];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = cuda_detail::WarpSum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = 0.0;
  if (warp == 0) v = cuda_detail::WarpSum(lane < kWarps ? warp_sums[lane] : 0.0);
  return v;
}

// out[r] = sum of row r; each block takes rows blockIdx.x, blockIdx.x + gridDim.x, ...
template <bool kCorrect>
__global__ void RowTotals(int64_t rows, int64_t cols, const float* x, float* out) {
  // x: (rows, cols), out: (rows)
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    double acc = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += kBlock) acc += x[r * cols + c];
    acc = kCorrect ? cuda_detail::BlockSum<kBlock>(acc) : BlockSumMissingSecondBarrier(acc);
    if (threadIdx.x == 0) out[r] = static_cast<float>(acc);
  }
}

// Row sums of a (5, 300) matrix of small integers (exact in float) on a grid of 2 blocks, so
// each block loops over rows and calls the block sum more than once.
std::vector<float> RunRowTotals(bool correct) {
  constexpr int64_t kRows = 5, kCols = 300;
  std::vector<float> x(kRows * kCols);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
  DeviceBuffer<float> x_d(x), out_d(kRows);
  if (correct) {
    LaunchKernel("RowTotals<true>", RowTotals<true>, 2, kBlock, kRows, kCols, x_d.get(),
                 out_d.get());
  } else {
    LaunchKernel("RowTotals<false>", RowTotals<false>, 2, kBlock, kRows, kCols, x_d.get(),
                 out_d.get());
  }
  return out_d.Download();
}

std::vector<float> CpuRowTotals() {
  std::vector<float> want(5, 0.0f);
  for (int64_t i = 0; i < 5 * 300; ++i) want[i / 300] += static_cast<float>(i % 7);
  return want;
}

TEST_F(SimBugs, BlockSumIsCorrectUnderEverySchedule) {
  for (const sim::Settings& s :
       {sim::Settings{}, Threads(sim::Order::kReverse), Threads(sim::Order::kShuffle),
        StarveWarp(0), StarveWarp(kWarps - 1)}) {
    SettingsScope scope(s);
    EXPECT_EQ(RunRowTotals(true), CpuRowTotals()) << sim::Describe(s);
  }
}

TEST_F(SimBugs, BlockSumWithoutItsSecondBarrierIsCaught) {
  // Warp 1 writes warp_sums[1] for the next row after lane 1 of warp 0 read it, with no barrier
  // between: the detector sees it in the forward order.
  ExpectErrorContaining([] { RunRowTotals(false); },
                        {"shared-memory race", "kernel RowTotals<false>", "warp_sums",
                         "which thread 1 read", "since the __syncthreads at"});
  // Without the detector the forward order hides the bug (warp 0 reads before the others
  // overwrite); holding warp 0 back exposes it.
  {
    SettingsScope forward(Threads(sim::Order::kForward, /*race_detector=*/false));
    EXPECT_EQ(RunRowTotals(false), CpuRowTotals());
  }
  SettingsScope starved(StarveWarp(0, /*race_detector=*/false));
  EXPECT_NE(RunRowTotals(false), CpuRowTotals());
}

// --- a shuffle from an absent lane ---------------------------------------------------------------

__global__ void ShuffleFromAbsentLane(float* out) {
  // out: (32). Lanes 0-15 shuffle among themselves, but read lane 20: not in the mask.
  if (threadIdx.x < 16) out[threadIdx.x] = __shfl_sync(0x0000ffffu, 1.0f * threadIdx.x, 20);
}

__global__ void ShuffleWithinMask(float* out) {
  if (threadIdx.x < 16) out[threadIdx.x] = __shfl_sync(0x0000ffffu, 1.0f * threadIdx.x, 5);
}

TEST_F(SimBugs, ShuffleFromAnAbsentLaneIsCaught) {
  DeviceBuffer<float> out(32);
  LaunchKernel("ShuffleWithinMask", ShuffleWithinMask, 1, 32, out.get());
  EXPECT_EQ(out.Download()[15], 5.0f);
  ExpectErrorContaining(
      [&] { LaunchKernel("ShuffleFromAbsentLane", ShuffleFromAbsentLane, 1, 32, out.get()); },
      {"kernel ShuffleFromAbsentLane", "reads lane 20, which is not in the mask 0xffff"});
}

__global__ void ShuffleMaskWithoutCaller(float* out) {
  out[threadIdx.x] = __shfl_down_sync(0xfffffffeu, 1.0f, 1);  // lane 0 is not in its own mask
}

__global__ void ShuffleInDivergentBranches(float* out) {
  // Lanes 0-15 and 16-31 each name all 32 lanes, at two different shuffles.
  if (threadIdx.x < 16) {
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
  } else {
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 2.0f, 1);
  }
}

TEST_F(SimBugs, MalformedShufflesAreCaught) {
  DeviceBuffer<float> out(32);
  ExpectErrorContaining(
      [&] { LaunchKernel("ShuffleMaskWithoutCaller", ShuffleMaskWithoutCaller, 1, 32, out.get()); },
      {"kernel ShuffleMaskWithoutCaller", "leaves out the calling lane 0"});
  ExpectErrorContaining(
      [&] {
        LaunchKernel("ShuffleInDivergentBranches", ShuffleInDivergentBranches, 1, 32, out.get());
      },
      {"kernel ShuffleInDivergentBranches", "must meet at the same shuffle"});
  // A full-warp mask in a block of 16 threads names lanes that do not exist.
  ExpectErrorContaining(
      [&] {
        LaunchKernel("ShuffleInDivergentBranches", ShuffleInDivergentBranches, 1, 16, out.get());
      },
      {"names lane 16, which does not exist (the block has 16 threads)"});
}

// --- barriers that threads do not all reach
// --------------------------------------------------------

__global__ void DivergentBarriers(float* out) {
  if (threadIdx.x < 32) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1.0f;
}

__global__ void BarrierAgainstShuffle(float* out) {
  // Warp 0 waits at a shuffle for lane 0, which waits at a barrier for warp 0: a deadlock.
  if (threadIdx.x == 0) {
    __syncthreads();
  } else {
    out[threadIdx.x] = __shfl_sync(0xffffffffu, 1.0f, 0);
  }
}

TEST_F(SimBugs, BarriersThatDivergeAreCaught) {
  DeviceBuffer<float> out(64);
  ExpectErrorContaining(
      [&] { LaunchKernel("DivergentBarriers", DivergentBarriers, 1, 64, out.get()); },
      {"kernel DivergentBarriers", "threads wait at different __syncthreads calls",
       "threads 0-31: at the __syncthreads at", "threads 32-63: at the __syncthreads at"});
  ExpectErrorContaining(
      [&] { LaunchKernel("BarrierAgainstShuffle", BarrierAgainstShuffle, 1, 32, out.get()); },
      {"kernel BarrierAgainstShuffle", "deadlock", "thread 0: at the __syncthreads",
       "threads 1-31: at the shuffle"});
}

// --- a shared-memory race ------------------------------------------------------------------------

__global__ void LastWriterWins(int* out) {
  // BUG: every thread writes `winner`, with no order among the writes.
  __shared__ int winner;
  winner = static_cast<int>(threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = winner;
}

TEST_F(SimBugs, SharedMemoryRaceIsCaught) {
  DeviceBuffer<int> out(64);
  const auto run = [&] { LaunchKernel("LastWriterWins", LastWriterWins, 1, 64, out.get()); };
  ExpectErrorContaining(run, {"shared-memory race", "kernel LastWriterWins", "writes winner",
                              "LastWriterWins::winner, 4 bytes", "which thread 0 wrote"});
  // Without the detector the result depends on the order of the threads.
  int forward = 0, reverse = 0;
  {
    SettingsScope scope(Threads(sim::Order::kForward, /*race_detector=*/false));
    run();
    forward = out.Download()[0];
  }
  {
    SettingsScope scope(Threads(sim::Order::kReverse, /*race_detector=*/false));
    run();
    reverse = out.Download()[0];
  }
  EXPECT_EQ(forward, 63);
  EXPECT_EQ(reverse, 0);
}

__global__ void Float4Slots(float* out) {
  // BUG: threads 0 and 1 both write slot 0, a float4 (one 16-byte store each).
  __shared__ float4 slots[2];
  slots[threadIdx.x / 2] = make_float4(1.0f, 2.0f, 3.0f, 1.0f * threadIdx.x);
  __syncthreads();
  out[threadIdx.x] = slots[threadIdx.x / 2].w;
}

TEST_F(SimBugs, RacesOnVectorStoresAreCaught) {
  // A float4 copy must reach the detector as stores, not as an unseen memcpy.
  DeviceBuffer<float> out(4);
  ExpectErrorContaining([&] { LaunchKernel("Float4Slots", Float4Slots, 1, 4, out.get()); },
                        {"shared-memory race", "kernel Float4Slots", "writes slots[+0 bytes]",
                         "which thread 0 wrote"});
}

// --- an out-of-bounds global write
// -----------------------------------------------------------------

__global__ void WriteOnePastTheEnd(float* out) {
  out[threadIdx.x] = 1.0f;  // BUG: launched with one thread more than `out` has elements
}

TEST_F(SimBugs, OutOfBoundsWriteIsCaught) {
  // cudaMalloc directly (DeviceBuffer): the caching allocator would round 128 bytes up to 256.
  DeviceBuffer<float> out(32);
  const auto run = [&] {
    LaunchKernel("WriteOnePastTheEnd", WriteOnePastTheEnd, 1, 33, out.get());
  };
#ifdef LATENT_TEST_ASAN
  // AddressSanitizer stops the write itself, with its stack.
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_DEATH(run(), "heap-buffer-overflow.*\n.*WRITE of size 4");
#else
  ExpectErrorContaining(
      run, {"kernel WriteOnePastTheEnd", "wrote past the end of the 128-byte device allocation",
            "(0 bytes past it"});
#endif
}

// --- launches a GPU refuses
// ------------------------------------------------------------------------

__global__ void Nothing(float*) {}

__global__ void TooMuchSharedMemory(float* out) {
  __shared__ float big[13 * 1024];  // 53,248 bytes: more than the 48 KiB a block may declare
  big[threadIdx.x] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = big[(threadIdx.x + 1) % 32];
}

TEST_F(SimBugs, OversizedLaunchesAreRefused) {
  DeviceBuffer<float> out(32);
  ExpectErrorContaining(
      [&] { LaunchKernel("Nothing", Nothing, 1, 2048, out.get()); },
      {"kernel Nothing", "a block of 2048 x 1 x 1 = 2048 threads", "at most 1024",
       "from `Nothing`"});  // LaunchKernel's check names the kernel too
  ExpectErrorContaining([&] { LaunchKernel("Nothing", Nothing, 1, dim3(64, 32), out.get()); },
                        {"a block of 64 x 32 x 1 = 2048 threads"});
  ExpectErrorContaining([&] { LaunchKernel("Nothing", Nothing, 0, 32, out.get()); },
                        {"kernel Nothing", "a grid of 0 x 1 x 1 blocks is empty"});
  ExpectErrorContaining([&] { LaunchKernel("Nothing", Nothing, dim3(1, 70000), 32, out.get()); },
                        {"a grid of 1 x 70000 x 1 blocks", "65535"});
  ExpectErrorContaining(
      [&] { LaunchKernel("TooMuchSharedMemory", TooMuchSharedMemory, 1, 32, out.get()); },
      {"kernel TooMuchSharedMemory", "53248 bytes of static shared memory",
       "TooMuchSharedMemory::big: 53248 bytes", "at most 49152"});
}

// --- memory
// ----------------------------------------------------------------------------------------

TEST(SimMemory, FreshAllocationsHoldNaN) {
  DeviceBuffer<float> fresh(100);
  for (float v : fresh.Download()) EXPECT_TRUE(std::isnan(v));
}

TEST(SimMemory, CopiesAndMemsetsAreRangeChecked) {
  void* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, 100), cudaSuccess);
  std::vector<char> host(200);
  EXPECT_EQ(cudaMemcpy(host.data(), device, 200, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_NE(
      std::string(cudaGetErrorString(cudaErrorInvalidValue)).find("source range of 200 bytes at"),
      std::string::npos);
  EXPECT_NE(
      std::string(cudaGetErrorString(cudaErrorInvalidValue)).find("runs past its end by 100 bytes"),
      std::string::npos);
  EXPECT_EQ(cudaMemcpy(static_cast<char*>(device) + 60, host.data(), 50, cudaMemcpyHostToDevice),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(device, host.data(), 100, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
  EXPECT_NE(std::string(cudaGetErrorString(cudaErrorInvalidValue))
                .find("cudaMemcpyDeviceToHost with a host source and a device destination"),
            std::string::npos);
  EXPECT_EQ(cudaMemset(host.data(), 0, 10), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(static_cast<char*>(device) + 90, 0, 11), cudaErrorInvalidValue);
  EXPECT_EQ(cudaFree(host.data()), cudaErrorInvalidValue);
  cudaGetLastError();
  // In range, everything works.
  EXPECT_EQ(cudaMemcpy(device, host.data(), 100, cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemset(device, 0, 100), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(host.data(), device, 100, cudaMemcpyDefault), cudaSuccess);
  EXPECT_EQ(host[99], 0);
  EXPECT_EQ(cudaFree(device), cudaSuccess);
}

TEST(SimDevice, SaysItIsSimulated) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  EXPECT_EQ(count, 1);
  cudaDeviceProp prop{};
  ASSERT_EQ(cudaGetDeviceProperties(&prop, 0), cudaSuccess);
  EXPECT_NE(std::string(prop.name).find("simulator"), std::string::npos) << prop.name;
}

}  // namespace
}  // namespace latent::kernels

#endif  // LATENT_CUDA_SIM

// Running a launch: the grid's blocks one at a time, each block's threads as fibers, and the
// checks on the two things that make threads wait for each other, __syncthreads and the warp
// shuffles.
//
// A thread runs until it reaches a barrier, a shuffle or its end; then the scheduler picks the
// next ready thread in the schedule's order. When no thread is ready, either every live thread
// waits at the barrier (all must be at the same one: it is released) or the block is stuck (a
// deadlock on real hardware: reported). A shuffle completes when the last lane of its mask
// arrives; that lane computes every lane's result and runs on.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/sim/fiber.h"
#include "kernels/sim/internal.h"
#include "kernels/sim/launch.h"

// The built-in variables of the running thread (declared in the simulator's cuda_runtime.h).
uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace latent::sim {

int running_thread = -1;
bool race_detector = true;

namespace {

constexpr int kWarp = 32;

enum class State { kReady, kBarrier, kShuffle, kDone };

struct Site {
  const char* file = "";
  int line = 0;
};
bool SameSite(Site a, Site b) {
  return a.line == b.line && (a.file == b.file || std::strcmp(a.file, b.file) == 0);
}
std::string ToString(Site s) { return std::string(s.file) + ":" + std::to_string(s.line); }

struct Thread {
  Fiber fiber;  // kept from launch to launch: its stack is reused
  uint3 idx{};
  State state = State::kReady;
  Site site;  // the barrier or shuffle it waits at
  // The shuffle it waits at, and its result once the exchange completes.
  ShuffleKind kind = ShuffleKind::kIndex;
  unsigned mask = 0;
  uint64_t value = 0;
  int arg = 0;
  int width = kWarp;
  uint64_t result = 0;
};

struct LaunchState {
  const char* name = "";
  ThreadBody body = nullptr;
  const void* closure = nullptr;
  int threads = 0;  // per block
  int live = 0;     // threads of this block that have not finished
  int at_barrier = 0;
  int starve_warp = -1;
  Order order = Order::kForward;
  std::vector<int> thread_order;
  int cursor = 0;
  std::mt19937_64 rng;
  std::string fault;
};

std::mutex launch_mutex;  // one launch at a time, whichever host thread makes it
LaunchState* current = nullptr;
std::vector<std::unique_ptr<Thread>> pool;

Thread& ThreadAt(int t) { return *pool[static_cast<size_t>(t)]; }

std::string Coords(uint3 v) {
  return "(" + std::to_string(v.x) + ", " + std::to_string(v.y) + ", " + std::to_string(v.z) + ")";
}

// "threads 0-31", "thread 5"
std::string ThreadRange(int first, int last) {
  return first == last ? "thread " + std::to_string(first)
                       : "threads " + std::to_string(first) + "-" + std::to_string(last);
}

std::string Where() {
  return std::string("kernel ") + current->name + ", block " + Coords(blockIdx);
}

// What each thread of the block is doing, runs of alike threads joined: for deadlock reports.
std::string DescribeBlock() {
  std::ostringstream out;
  const auto what = [](const Thread& t) -> std::string {
    switch (t.state) {
      case State::kReady: return "ready";
      case State::kDone: return "finished";
      case State::kBarrier: return "at the __syncthreads at " + ToString(t.site);
      case State::kShuffle: {
        std::ostringstream s;
        s << "at the shuffle at " << ToString(t.site) << " (mask 0x" << std::hex << t.mask << ")";
        return s.str();
      }
    }
    return "";
  };
  int first = 0;
  for (int t = 1; t <= current->threads; ++t) {
    if (t < current->threads && what(ThreadAt(t)) == what(ThreadAt(first))) continue;
    out << "; " << ThreadRange(first, t - 1) << ": " << what(ThreadAt(first));
    first = t;
  }
  return out.str();
}

[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "latent sim: %s called outside a simulated kernel\n", what);
  std::abort();
}

// --- scheduling ----------------------------------------------------------------------------------

void ResetThreadOrder(LaunchState& L) {
  L.thread_order.resize(static_cast<size_t>(L.threads));
  std::iota(L.thread_order.begin(), L.thread_order.end(), 0);
  if (L.order == Order::kReverse) std::reverse(L.thread_order.begin(), L.thread_order.end());
  if (L.order == Order::kShuffle) std::shuffle(L.thread_order.begin(), L.thread_order.end(), L.rng);
  L.cursor = 0;
}

// The next ready thread in the schedule's order, continuing after the last one, or -1. The
// starved warp's threads are taken only when no other thread is ready. A shuffled order is drawn
// again each time the cursor comes round.
int PickThread(LaunchState& L) {
  if (L.cursor == L.threads) {
    L.cursor = 0;
    if (L.order == Order::kShuffle)
      std::shuffle(L.thread_order.begin(), L.thread_order.end(), L.rng);
  }
  for (int pass = L.starve_warp < 0 ? 1 : 0; pass < 2; ++pass) {
    for (int n = 0; n < L.threads; ++n) {
      const int at = L.cursor + n < L.threads ? L.cursor + n : L.cursor + n - L.threads;
      const int t = L.thread_order[static_cast<size_t>(at)];
      if (ThreadAt(t).state != State::kReady) continue;
      if (pass == 0 && t / kWarp == L.starve_warp) continue;
      L.cursor = at + 1;
      return t;
    }
  }
  return -1;
}

// What KernelFault throws: caught at the bottom of the thread's own stack, so that the frames it
// leaves are unwound (their strings freed) before the thread is dropped.
struct Fault {
  std::string report;
};

void ThreadMain(void* arg) {
  Thread& t = *static_cast<Thread*>(arg);
  try {
    current->body(current->closure);
  } catch (const Fault& fault) {
    if (current->fault.empty()) current->fault = fault.report;
  } catch (const std::exception& e) {
    if (current->fault.empty())
      current->fault =
          Where() + ": an exception escaped " + DescribeThread(running_thread) + ": " + e.what();
  }
  t.state = State::kDone;
  --current->live;
  Fiber::Switch(t.fiber, Fiber::Host(), /*finished=*/true);
}

// No thread is ready and some are live: release the barrier if every live thread is at the same
// one; otherwise the block can never continue.
void ReleaseOrReportDeadlock(LaunchState& L) {
  if (L.at_barrier == L.live) {
    Site site;
    int first = -1;
    for (int t = 0; t < L.threads; ++t) {
      const Thread& th = ThreadAt(t);
      if (th.state != State::kBarrier) continue;
      if (first < 0) {
        first = t;
        site = th.site;
      } else if (!SameSite(site, th.site)) {
        L.fault = Where() + ": threads wait at different __syncthreads calls (" +
                  DescribeBlock().substr(2) +
                  "); every live thread of a block must reach the same barrier";
        return;
      }
    }
    for (int t = 0; t < L.threads; ++t) {
      Thread& th = ThreadAt(t);
      if (th.state == State::kBarrier) th.state = State::kReady;
    }
    L.at_barrier = 0;
    BarrierShared(site.file, site.line);
    return;
  }
  L.fault = Where() + ": deadlock, no thread can continue (" + DescribeBlock().substr(2) + ")";
}

void RunBlock(LaunchState& L, bool fill_whole_shared) {
  BeginBlockShared(fill_whole_shared);
  for (int t = 0; t < L.threads; ++t) {
    Thread& th = ThreadAt(t);
    th.idx = {static_cast<unsigned>(t) % blockDim.x,
              static_cast<unsigned>(t) / blockDim.x % blockDim.y,
              static_cast<unsigned>(t) / (blockDim.x * blockDim.y)};
    th.state = State::kReady;
    th.fiber.Reset(&ThreadMain, &th);
  }
  L.live = L.threads;
  L.at_barrier = 0;
  ResetThreadOrder(L);
  while (L.live > 0 && L.fault.empty()) {
    const int t = PickThread(L);
    if (t < 0) {
      ReleaseOrReportDeadlock(L);
      continue;
    }
    threadIdx = ThreadAt(t).idx;
    running_thread = t;
    Fiber::Switch(Fiber::Host(), ThreadAt(t).fiber);
    running_thread = -1;
  }
}

// --- launch checks -------------------------------------------------------------------------------

std::string CheckConfiguration(dim3 grid, dim3 block) {
  std::ostringstream why;
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) {
    why << "a grid of " << grid.x << " x " << grid.y << " x " << grid.z
        << " blocks is empty; every dimension must be at least 1";
  } else if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    why << "a grid of " << grid.x << " x " << grid.y << " x " << grid.z
        << " blocks; the limits are 2^31 - 1 x 65535 x 65535";
  } else if (threads == 0 || block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024) {
    why << "a block of " << block.x << " x " << block.y << " x " << block.z << " = " << threads
        << " threads; a block holds 1 to 1024 threads, at most 1024 x 1024 x 64";
  }
  return why.str();
}

// The settings, first read from the environment.
Settings& SettingsState(std::string* error) {
  static std::string env_error;
  static Settings settings = [] {
    Settings s;
    const auto order = [](const char* var, Order* out) {
      const char* v = std::getenv(var);
      if (v == nullptr || *v == '\0') return;
      const std::string text = v;
      if (text == "forward")
        *out = Order::kForward;
      else if (text == "reverse")
        *out = Order::kReverse;
      else if (text == "shuffle")
        *out = Order::kShuffle;
      else
        env_error += std::string(var) + "='" + text + "': expected forward, reverse or shuffle. ";
    };
    order("LATENT_SIM_BLOCKS", &s.blocks);
    order("LATENT_SIM_THREADS", &s.threads);
    if (const char* v = std::getenv("LATENT_SIM_STARVE_WARP"); v != nullptr && *v != '\0') {
      char* end = nullptr;
      const long w = std::strtol(v, &end, 10);
      if (std::string(v) == "none")
        s.starve_warp = -1;
      else if (*end == '\0' && w >= 0 && w < 32)
        s.starve_warp = static_cast<int>(w);
      else
        env_error +=
            std::string("LATENT_SIM_STARVE_WARP='") + v + "': expected a warp index 0-31 or none. ";
    }
    if (const char* v = std::getenv("LATENT_SIM_RACECHECK"); v != nullptr && *v != '\0') {
      const std::string text = v;
      if (text == "0" || text == "1")
        s.race_detector = text == "1";
      else
        env_error += "LATENT_SIM_RACECHECK='" + text + "': expected 1 or 0. ";
    }
    if (const char* v = std::getenv("LATENT_SIM_SEED"); v != nullptr && *v != '\0') {
      char* end = nullptr;
      s.seed = std::strtoull(v, &end, 10);
      if (*end != '\0')
        env_error += std::string("LATENT_SIM_SEED='") + v + "': expected an unsigned integer. ";
    }
    return s;
  }();
  if (error != nullptr) *error = env_error;
  return settings;
}

// Block b of `count` in the schedule's order. A shuffled order is an affine permutation
// b -> (a b + c) mod count with a coprime to count: every block once, in an order that jumps
// around, without a table as large as the grid.
struct BlockOrder {
  Order order;
  uint64_t count, a = 1, c = 0;
  BlockOrder(Order o, uint64_t n, std::mt19937_64& rng) : order(o), count(n) {
    if (order != Order::kShuffle || count < 2) return;
    do a = rng() % count;
    while (a == 0 || std::gcd(a, count) != 1);
    c = rng() % count;
  }
  uint64_t operator()(uint64_t b) const {
    if (order == Order::kReverse) return count - 1 - b;
    if (order == Order::kShuffle)
      return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b + c) % count);
    return b;
  }
};

}  // namespace

std::string DescribeThread(int t) {
  return "thread " + std::to_string(t) + " " + Coords(ThreadAt(t).idx) + " of block " +
         Coords(blockIdx) + " of kernel " + current->name;
}

void KernelFault(const std::string& report) {
  if (current == nullptr || running_thread < 0) {
    std::fprintf(stderr, "latent sim: %s\n", report.c_str());
    std::abort();
  }
  throw Fault{report};
}

void SyncThreads(const char* file, int line) {
  if (current == nullptr || running_thread < 0) Abort("__syncthreads");
  Thread& t = ThreadAt(running_thread);
  t.state = State::kBarrier;
  t.site = {file, line};
  ++current->at_barrier;
  Fiber::Switch(t.fiber, Fiber::Host());
}

uint64_t Shuffle(ShuffleKind kind, unsigned mask, uint64_t bits, int arg, int width,
                 const char* file, int line) {
  if (current == nullptr || running_thread < 0) Abort("a warp shuffle");
  LaunchState& L = *current;
  const int self = running_thread, lane = self % kWarp, warp_base = self - lane;
  const auto fail = [&](const std::string& why) {
    KernelFault(Where() + ", the shuffle at " + file + ":" + std::to_string(line) + " in " +
                DescribeThread(self) + ": " + why);
  };
  if (width < 1 || width > kWarp || (width & (width - 1)) != 0)
    fail("width " + std::to_string(width) + " is not a power of 2 from 1 to 32");
  if ((mask >> lane & 1u) == 0) {
    std::ostringstream s;
    s << "the mask 0x" << std::hex << mask << " leaves out the calling lane " << std::dec << lane;
    fail(s.str());
  }
  Thread& me = ThreadAt(self);
  me.state = State::kShuffle;
  me.site = {file, line};
  me.kind = kind, me.mask = mask, me.value = bits, me.arg = arg, me.width = width;

  // Complete when every lane of the mask waits at a shuffle; otherwise wait for them.
  for (int l = 0; l < kWarp; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    if (warp_base + l >= L.threads) {
      std::ostringstream s;
      s << "the mask 0x" << std::hex << mask << " names lane " << std::dec << l
        << ", which does not exist (the block has " << L.threads << " threads)";
      fail(s.str());
    }
    if (ThreadAt(warp_base + l).state != State::kShuffle) {
      Fiber::Switch(me.fiber, Fiber::Host());
      return me.result;  // the lane that completed the exchange left it here
    }
  }
  for (int l = 0; l < kWarp; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    const Thread& other = ThreadAt(warp_base + l);
    if (!SameSite(other.site, me.site) || other.mask != mask) {
      std::ostringstream s;
      s << "lane " << l << " waits at the shuffle at " << ToString(other.site) << " with mask 0x"
        << std::hex << other.mask << ", lane " << std::dec << lane << " at this one with mask 0x"
        << std::hex << mask << "; all lanes of a mask must meet at the same shuffle";
      fail(s.str());
    }
  }
  for (int l = 0; l < kWarp; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    Thread& dst = ThreadAt(warp_base + l);
    const int segment = l & ~(width - 1);  // lanes [segment, segment + width) exchange
    int src = l;
    switch (kind) {
      case ShuffleKind::kIndex: src = segment + (arg & (width - 1)); break;
      case ShuffleKind::kUp: src = l - arg >= segment ? l - arg : l; break;
      case ShuffleKind::kDown: src = l + arg < segment + width ? l + arg : l; break;
      case ShuffleKind::kXor: src = (l ^ arg) < segment + width ? l ^ arg : l; break;
    }
    if (src < 0 || src >= kWarp || (mask >> src & 1u) == 0) {
      std::ostringstream s;
      s << "lane " << l << " reads lane " << src << ", which is not in the mask 0x" << std::hex
        << mask << " (an absent lane: the value is undefined on a GPU)";
      fail(s.str());
    }
    dst.result = ThreadAt(warp_base + src).value;
  }
  for (int l = 0; l < kWarp; ++l)
    if ((mask >> l & 1u) != 0) ThreadAt(warp_base + l).state = State::kReady;
  return me.result;
}

Settings CurrentSettings() { return SettingsState(nullptr); }
void SetSettings(const Settings& settings) { SettingsState(nullptr) = settings; }

std::string Describe(const Settings& s) {
  const auto name = [](Order o) {
    return o == Order::kForward ? "forward" : o == Order::kReverse ? "reverse" : "shuffle";
  };
  std::string out = std::string("blocks ") + name(s.blocks) + ", threads " + name(s.threads);
  out += s.starve_warp < 0 ? ", no warp starved"
                           : ", warp " + std::to_string(s.starve_warp) + " starved";
  if (s.blocks == Order::kShuffle || s.threads == Order::kShuffle)
    out += ", seed " + std::to_string(s.seed);
  return out + (s.race_detector ? ", race detector on" : ", race detector off");
}

void LaunchBlocks(const char* name, const void* kernel, dim3 grid, dim3 block, ThreadBody body,
                  const void* closure) {
  std::lock_guard<std::mutex> lock(launch_mutex);
  std::string env_error;
  const Settings settings = SettingsState(&env_error);
  if (!env_error.empty()) {
    Fail(cudaErrorInvalidValue, std::string("kernel ") + name + ": " + env_error);
    return;
  }
  if (const std::string why = CheckConfiguration(grid, block); !why.empty()) {
    Fail(cudaErrorInvalidConfiguration, std::string("kernel ") + name + ": launch with " + why);
    return;
  }
  LaunchState L;
  L.name = name;
  L.body = body;
  L.closure = closure;
  L.threads = static_cast<int>(block.x * block.y * block.z);
  const int warps = (L.threads + kWarp - 1) / kWarp;
  L.starve_warp = settings.starve_warp < 0 ? -1 : settings.starve_warp % warps;
  L.order = settings.threads;
  L.rng.seed(settings.seed);
  while (pool.size() < static_cast<size_t>(L.threads)) pool.push_back(std::make_unique<Thread>());

  // The kernels seen so far, and whether their first block has been measured for shared memory.
  static std::vector<const void*> measured;
  const bool measure = std::find(measured.begin(), measured.end(), kernel) == measured.end();

  race_detector = settings.race_detector;
  current = &L;
  gridDim = grid;
  blockDim = block;
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  const BlockOrder order(settings.blocks, blocks, L.rng);
  for (uint64_t i = 0; i < blocks && L.fault.empty(); ++i) {
    const uint64_t b = order(i);
    blockIdx = {static_cast<unsigned>(b % grid.x), static_cast<unsigned>(b / grid.x % grid.y),
                static_cast<unsigned>(b / (uint64_t{grid.x} * grid.y))};
    // A kernel's first block starts from an all-NaN section, so that what it wrote (its
    // footprint, measured after it) is told from what earlier kernels left.
    RunBlock(L, /*fill_whole_shared=*/measure && i == 0);
    if (measure && i == 0 && L.fault.empty()) {
      std::string arrays;
      const size_t bytes = SharedFootprint(&arrays);
      constexpr size_t kStaticSharedLimit = 48 << 10;
      if (bytes > kStaticSharedLimit)
        L.fault = Where() + ": " + std::to_string(bytes) + " bytes of static shared memory (" +
                  arrays + "); a block may declare at most 49152 (48 KiB)";
      measured.push_back(kernel);
    }
  }
  current = nullptr;
  if (!L.fault.empty()) {
    Fail(cudaErrorLaunchFailure, L.fault);
    return;
  }
  if (const std::string overflow = CheckRedzones(); !overflow.empty())
    Fail(cudaErrorIllegalAddress, std::string("kernel ") + name + ": " + overflow);
}

}  // namespace latent::sim

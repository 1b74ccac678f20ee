// CPU reference for kernels/random.h: uniform, normal and Bernoulli fills from Philox.
//
// n: number of elements. Element i is element i of the stream (seed, offset) (kernels/philox.h),
// whatever thread computes it, so a fill is reproducible on any thread count and on a GPU.
#include "kernels/random.h"

#include "kernels/philox.h"

namespace latent::kernels {
namespace {

// A Philox block (ten rounds of two 32x32-bit multiplies) per four elements makes each element
// costlier than plain arithmetic, so threads pay off on smaller sizes than in elementwise.cc.
constexpr int64_t kParallelMin = int64_t{1} << 14;

// Calls body(i, u_i) for every i in [0, n), u_i = PhiloxUniform(seed, offset, i). One Philox
// call yields the words of four consecutive elements; calling PhiloxUniform per element would
// compute each block four times. The last block may be partial (n need not be a multiple of 4).
template <typename Body>
void ForEachUniform(int64_t n, uint64_t seed, uint64_t offset, Body body) {
  const int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t block = 0; block < blocks; ++block) {
    const Philox4x32 words = PhiloxBlock(seed, offset, static_cast<uint64_t>(block));
    for (int64_t k = 0; k < 4 && block * 4 + k < n; ++k) {
      body(block * 4 + k, UniformFromBits(words.v[k]));
    }
  }
}

}  // namespace

template <typename T>
void UniformCpu(int64_t n, uint64_t seed, uint64_t offset, T* y) {
  // y: (n)
  ForEachUniform(n, seed, offset, [&](int64_t i, float u) { y[i] = static_cast<T>(u); });
}

template <typename T>
void NormalCpu(int64_t n, uint64_t seed, uint64_t offset, T* y) {
  // y: (n). Per element: normal fills (weight init, prior samples) are rare, and PhiloxNormal is
  // by definition the stream the CUDA kernel must match.
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = PhiloxNormal<T>(seed, offset, static_cast<uint64_t>(i));
}

template <typename T>
void BernoulliCpu(int64_t n, uint64_t seed, uint64_t offset, const T* p, T* y) {
  // p, y: (n)
  ForEachUniform(n, seed, offset, [&](int64_t i, float u) { y[i] = BernoulliOf(u, p[i]); });
}

template void UniformCpu<float>(int64_t, uint64_t, uint64_t, float*);
template void UniformCpu<double>(int64_t, uint64_t, uint64_t, double*);
template void NormalCpu<float>(int64_t, uint64_t, uint64_t, float*);
template void NormalCpu<double>(int64_t, uint64_t, uint64_t, double*);
template void BernoulliCpu<float>(int64_t, uint64_t, uint64_t, const float*, float*);
template void BernoulliCpu<double>(int64_t, uint64_t, uint64_t, const double*, double*);

}  // namespace latent::kernels

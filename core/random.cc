#include "core/random.h"

#include <numeric>

#include "core/dispatch.h"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace latent {

Tensor RandomUniform(const Shape& shape, uint64_t seed, uint64_t offset, DType dtype,
                     Device device) {
  Tensor y = Tensor::Empty(shape, dtype, device);
  Dispatch("uniform", y, LATENT_KERNELS(kernels::UniformCpu, kernels::UniformCuda),
           [&](auto uniform, auto zero) {
             using T = decltype(zero);
             uniform(y.numel(), seed, offset, y.data<T>());
           });
  return y;
}

Tensor RandomNormal(const Shape& shape, uint64_t seed, uint64_t offset, DType dtype,
                    Device device) {
  Tensor y = Tensor::Empty(shape, dtype, device);
  Dispatch("normal", y, LATENT_KERNELS(kernels::NormalCpu, kernels::NormalCuda),
           [&](auto normal, auto zero) {
             using T = decltype(zero);
             normal(y.numel(), seed, offset, y.data<T>());
           });
  return y;
}

Tensor Bernoulli(const Tensor& p, uint64_t seed, uint64_t offset) {
  Tensor y = Tensor::Empty(p.shape(), p.dtype(), p.device());
  Dispatch("bernoulli", p, LATENT_KERNELS(kernels::BernoulliCpu, kernels::BernoulliCuda),
           [&](auto bernoulli, auto zero) {
             using T = decltype(zero);
             bernoulli(p.numel(), seed, offset, p.data<T>(), y.data<T>());
           });
  return y;
}

Tensor Corrupt(const Tensor& x, kernels::Corruption kind, double level, uint64_t seed,
               uint64_t offset) {
  LATENT_CHECK(level >= 0.0 && (kind == kernels::Corruption::kGaussian || level <= 1.0),
               "corruption level must be a sigma >= 0 (gaussian) or a fraction in [0, 1] (mask, "
               "salt-and-pepper); found ", level);
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch("corrupt", x, LATENT_KERNELS(kernels::CorruptCpu, kernels::CorruptCuda),
           [&](auto corrupt, auto zero) {
             using T = decltype(zero);
             corrupt(kind, x.numel(), T(level), seed, offset, x.data<T>(), y.data<T>());
           });
  return y;
}

std::vector<int32_t> Permutation(int64_t n, uint64_t seed, uint64_t offset) {
  std::vector<int32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    const uint64_t k = static_cast<uint64_t>(n - 1 - i);  // the k-th draw of this stream
    const uint32_t word = PhiloxBlock(seed, offset, k / 4).v[k % 4];
    // Multiply-shift maps a 32-bit word onto [0, i]; the bias is below i / 2^32.
    const int64_t j = static_cast<int64_t>((static_cast<uint64_t>(word) * (i + 1)) >> 32);
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

}  // namespace latent

#include "core/random.h"

#include <numeric>

#include "core/dispatch.h"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace latent {

Tensor RandomUniform(const Shape& shape, uint64_t seed, uint64_t offset, DType dtype,
                     Device device) {
  Tensor y = Tensor::Empty(shape, dtype, device);
  Dispatch(
      "uniform", y,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::UniformCpu<T>(y.numel(), seed, offset, y.data<T>());
      },
      [&](auto) { kernels::UniformCuda(y.numel(), seed, offset, y.data<float>()); });
  return y;
}

Tensor RandomNormal(const Shape& shape, uint64_t seed, uint64_t offset, DType dtype,
                    Device device) {
  Tensor y = Tensor::Empty(shape, dtype, device);
  Dispatch(
      "normal", y,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::NormalCpu<T>(y.numel(), seed, offset, y.data<T>());
      },
      [&](auto) { kernels::NormalCuda(y.numel(), seed, offset, y.data<float>()); });
  return y;
}

Tensor Bernoulli(const Tensor& p, uint64_t seed, uint64_t offset) {
  Tensor y = Tensor::Empty(p.shape(), p.dtype(), p.device());
  Dispatch(
      "bernoulli", p,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::BernoulliCpu<T>(p.numel(), seed, offset, p.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::BernoulliCuda(p.numel(), seed, offset, p.data<float>(), y.data<float>());
      });
  return y;
}

Tensor Corrupt(const Tensor& x, kernels::Corruption kind, double level, uint64_t seed,
               uint64_t offset) {
  LATENT_CHECK(level >= 0.0 && (kind == kernels::Corruption::kGaussian || level <= 1.0),
               "corruption level must be a sigma >= 0 (gaussian) or a fraction in [0, 1] (mask, "
               "salt-and-pepper); found ", level);
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch(
      "corrupt", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::CorruptCpu<T>(kind, x.numel(), T(level), seed, offset, x.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::CorruptCuda(kind, x.numel(), float(level), seed, offset, x.data<float>(),
                             y.data<float>());
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

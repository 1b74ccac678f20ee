// CPU reference for kernels/corrupt.h.
#include "kernels/corrupt.h"

#include "kernels/philox.h"

namespace latent::kernels {

template <typename T>
void CorruptCpu(Corruption kind, int64_t n, T level, uint64_t seed, uint64_t offset, const T* x,
                T* y) {
  // x, y: (n)
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t k = static_cast<uint64_t>(i);
    switch (kind) {
      case Corruption::kGaussian:
        y[i] = x[i] + level * PhiloxNormal<T>(seed, offset, k);
        break;
      case Corruption::kMask:
        y[i] = PhiloxUniform(seed, offset, k) < level ? T(0) : x[i];
        break;
      case Corruption::kSaltPepper: {
        const T u = PhiloxUniform(seed, offset, k);
        y[i] = u < level / 2 ? T(0) : (u < level ? T(1) : x[i]);
        break;
      }
    }
  }
}

template void CorruptCpu<float>(Corruption, int64_t, float, uint64_t, uint64_t, const float*,
                                float*);
template void CorruptCpu<double>(Corruption, int64_t, double, uint64_t, uint64_t, const double*,
                                 double*);

}  // namespace latent::kernels

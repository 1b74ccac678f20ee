// CPU reference for kernels/corrupt.h.
#include "kernels/corrupt.h"

namespace latent::kernels {

template <typename T>
void CorruptCpu(Corruption kind, int64_t n, T level, uint64_t seed, uint64_t offset, const T* x,
                T* y) {
  // x, y: (n)
  for (int64_t i = 0; i < n; ++i)
    y[i] = CorruptAt(kind, level, seed, offset, static_cast<uint64_t>(i), x[i]);
}

template void CorruptCpu<float>(Corruption, int64_t, float, uint64_t, uint64_t, const float*,
                                float*);
template void CorruptCpu<double>(Corruption, int64_t, double, uint64_t, uint64_t, const double*,
                                 double*);

}  // namespace latent::kernels

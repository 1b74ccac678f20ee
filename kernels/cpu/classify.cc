// CPU reference for kernels/classify.h. B: rows (examples), C: classes.
#include "kernels/classify.h"

#include <algorithm>
#include <cmath>

namespace latent::kernels {
namespace {
// The row's max and log(sum_c exp(x_c - max)): logsumexp = max + log_sum.
template <typename T>
void RowLogSumExp(int64_t C, const T* x, double* max_out, double* log_sum_out) {
  double m = x[0];
  for (int64_t c = 1; c < C; ++c) m = std::max(m, static_cast<double>(x[c]));
  double sum = 0.0;
  for (int64_t c = 0; c < C; ++c) sum += ExpShifted(x[c], m);
  *max_out = m;
  *log_sum_out = std::log(sum);
}
}  // namespace

template <typename T>
void SoftmaxCrossEntropyForwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                   T* out) {
  for (int64_t b = 0; b < B; ++b) {
    const T* x = logits + b * C;  // (C)
    double m, log_sum;
    RowLogSumExp(C, x, &m, &log_sum);
    out[b] = static_cast<T>(SoftmaxCrossEntropyOf(m, log_sum, x[labels[b]]));
  }
}

template <typename T>
void SoftmaxCrossEntropyBackwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                    const T* dout, T* dlogits) {
  for (int64_t b = 0; b < B; ++b) {
    const T* x = logits + b * C;  // (C)
    T* dx = dlogits + b * C;      // (C)
    double m, log_sum;
    RowLogSumExp(C, x, &m, &log_sum);
    for (int64_t c = 0; c < C; ++c)
      dx[c] = SoftmaxCrossEntropyGrad(x[c], m, log_sum, c == labels[b], dout[b]);
  }
}

template <typename T>
void OneHotCpu(int64_t B, int64_t C, const int32_t* labels, T* out) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) out[b * C + c] = c == labels[b] ? T(1) : T(0);
}

#define LATENT_INSTANTIATE_CLASSIFY(T)                                                            \
  template void SoftmaxCrossEntropyForwardCpu<T>(int64_t, int64_t, const T*, const int32_t*, T*); \
  template void SoftmaxCrossEntropyBackwardCpu<T>(int64_t, int64_t, const T*, const int32_t*,     \
                                                  const T*, T*);                                  \
  template void OneHotCpu<T>(int64_t, int64_t, const int32_t*, T*);
LATENT_INSTANTIATE_CLASSIFY(float)
LATENT_INSTANTIATE_CLASSIFY(double)
#undef LATENT_INSTANTIATE_CLASSIFY

}  // namespace latent::kernels

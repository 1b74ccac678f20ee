// CPU reference for kernels/classify.h. B: rows (examples), C: classes; R: rows of a matrix
// whose C columns are any values (log-sum-exp).
#include "kernels/classify.h"

#include <algorithm>
#include <cmath>

namespace latent::kernels {
namespace {
// The row's shift m (its max, LogSumExpShift) and log(sum_c exp(x_c - m)): logsumexp =
// m + log_sum.
template <typename T>
void RowLogSumExp(int64_t C, const T* x, double* max_out, double* log_sum_out) {
  double row_max = x[0];
  for (int64_t c = 1; c < C; ++c) row_max = std::max(row_max, static_cast<double>(x[c]));
  const double m = LogSumExpShift(row_max);
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
void RowLogSumExpForwardCpu(int64_t R, int64_t C, const T* x, T* out) {
  for (int64_t r = 0; r < R; ++r) {
    double m, log_sum;
    RowLogSumExp(C, x + r * C, &m, &log_sum);
    out[r] = static_cast<T>(RowLogSumExpOf(m, log_sum));
  }
}

template <typename T>
void RowLogSumExpBackwardCpu(int64_t R, int64_t C, const T* x, const T* dout, T* dx) {
  for (int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * C;  // (C)
    T* dxr = dx + r * C;      // (C)
    double m, log_sum;
    RowLogSumExp(C, xr, &m, &log_sum);
    for (int64_t c = 0; c < C; ++c) dxr[c] = RowLogSumExpGrad(xr[c], m, log_sum, dout[r]);
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
  template void RowLogSumExpForwardCpu<T>(int64_t, int64_t, const T*, T*);                        \
  template void RowLogSumExpBackwardCpu<T>(int64_t, int64_t, const T*, const T*, T*);             \
  template void OneHotCpu<T>(int64_t, int64_t, const int32_t*, T*);
LATENT_INSTANTIATE_CLASSIFY(float)
LATENT_INSTANTIATE_CLASSIFY(double)
#undef LATENT_INSTANTIATE_CLASSIFY

}  // namespace latent::kernels

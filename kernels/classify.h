// Classification kernels: softmax cross-entropy per row, the log-sum-exp of each row (the IWAE
// bound and the VampPrior's mixture), and one-hot codes (the CVAE's label input).
//
//   l_b = logsumexp_c(x[b, c]) - x[b, y_b]         (computed with the row max subtracted first,
//                                                   so exp never overflows)
//   dl_b/dx[b, c] = softmax(x[b])_c - [c == y_b]
//   y_r = logsumexp_c(x[r, c]) = m + log sum_c exp(x[r, c] - m),  m = max_c x[r, c]
//   dy_r/dx[r, c] = softmax(x[r])_c                 (m is a constant shift: no derivative)
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace latent::kernels {

// The formulas of one row, in double on both devices, from the row's shift m and
// log_sum = log(sum_c ExpShifted(x_c, m)); the CPU and the CUDA kernels differ only in how they
// find the max and add up the terms.
//
// The shift is the row's max, except where the max is infinite: x - max would then be
// -inf - (-inf) or inf - inf = NaN, while the unshifted sum is exact (0 for a row of -inf, so
// log_sum = -inf; inf with a +inf entry).
LATENT_HOST_DEVICE double LogSumExpShift(double row_max) {
  using std::isinf;
  return isinf(row_max) ? 0.0 : row_max;
}
LATENT_HOST_DEVICE double ExpShifted(double x, double m) {
  using std::exp;
  return exp(x - m);
}
// l_b, from x_label = x[b, y_b]
LATENT_HOST_DEVICE double SoftmaxCrossEntropyOf(double m, double log_sum, double x_label) {
  return m + log_sum - x_label;
}
// dl_b/dx[b, c] times dl: dl (softmax(x)_c - [c == y_b])
template <typename T>
LATENT_HOST_DEVICE T SoftmaxCrossEntropyGrad(double x, double m, double log_sum, bool is_label,
                                             T dl) {
  using std::exp;
  const double p = exp(x - m - log_sum);  // softmax
  return static_cast<T>(dl * (p - (is_label ? 1.0 : 0.0)));
}

// y_r: a row of -inf gives -inf, a +inf entry gives +inf
LATENT_HOST_DEVICE double RowLogSumExpOf(double m, double log_sum) { return m + log_sum; }
// dy_r/dx[r, c] times dy: dy softmax(x[r])_c. A row of -inf (log_sum = -inf, nothing to
// normalize) gets 0 rather than exp(-inf + inf) = NaN: such a row is a masked-out row, and no
// finite change of one entry moves its result off -inf in a differentiable way.
template <typename T>
LATENT_HOST_DEVICE T RowLogSumExpGrad(double x, double m, double log_sum, T dy) {
  using std::exp;
  using std::isinf;
  if (isinf(log_sum) && log_sum < 0) return T(0);
  return static_cast<T>(dy * exp(x - m - log_sum));  // softmax
}

// logits: (B, C), labels: (B) in [0, C), out: (B)
template <typename T>
void SoftmaxCrossEntropyForwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                   T* out);
// dout: (B), dlogits: (B, C) written
template <typename T>
void SoftmaxCrossEntropyBackwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                    const T* dout, T* dlogits);
// x: (R, C), out: (R)
template <typename T>
void RowLogSumExpForwardCpu(int64_t R, int64_t C, const T* x, T* out);
// dout: (R), dx: (R, C) written
template <typename T>
void RowLogSumExpBackwardCpu(int64_t R, int64_t C, const T* x, const T* dout, T* dx);
// out[b, c] = [c == labels[b]];  out: (B, C)
template <typename T>
void OneHotCpu(int64_t B, int64_t C, const int32_t* labels, T* out);

void SoftmaxCrossEntropyForwardCuda(int64_t B, int64_t C, const float* logits,
                                    const int32_t* labels, float* out);
void SoftmaxCrossEntropyBackwardCuda(int64_t B, int64_t C, const float* logits,
                                     const int32_t* labels, const float* dout, float* dlogits);
void RowLogSumExpForwardCuda(int64_t R, int64_t C, const float* x, float* out);
void RowLogSumExpBackwardCuda(int64_t R, int64_t C, const float* x, const float* dout, float* dx);
void OneHotCuda(int64_t B, int64_t C, const int32_t* labels, float* out);

}  // namespace latent::kernels

// Classification kernels: softmax cross-entropy per row, and one-hot codes (the CVAE's label
// input).
//
//   l_b = logsumexp_c(x[b, c]) - x[b, y_b]         (computed with the row max subtracted first,
//                                                   so exp never overflows)
//   dl_b/dx[b, c] = softmax(x[b])_c - [c == y_b]
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace latent::kernels {

// The formulas of one row, in double on both devices, from the row's max m and
// log_sum = log(sum_c ExpShifted(x_c, m)); the CPU and the CUDA kernels differ only in how they
// find m and add up the terms.
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

// logits: (B, C), labels: (B) in [0, C), out: (B)
template <typename T>
void SoftmaxCrossEntropyForwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                   T* out);
// dout: (B), dlogits: (B, C) written
template <typename T>
void SoftmaxCrossEntropyBackwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                    const T* dout, T* dlogits);
// out[b, c] = [c == labels[b]];  out: (B, C)
template <typename T>
void OneHotCpu(int64_t B, int64_t C, const int32_t* labels, T* out);

void SoftmaxCrossEntropyForwardCuda(int64_t B, int64_t C, const float* logits,
                                    const int32_t* labels, float* out);
void SoftmaxCrossEntropyBackwardCuda(int64_t B, int64_t C, const float* logits,
                                     const int32_t* labels, const float* dout, float* dlogits);
void OneHotCuda(int64_t B, int64_t C, const int32_t* labels, float* out);

}  // namespace latent::kernels

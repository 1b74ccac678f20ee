// Reconstruction losses, per row: each returns one number per example (summed over its
// features), which a Sum op turns into the batch loss. Per-row values are what anomaly scores
// and per-image metrics need. The per-element terms and their derivatives are below, written once
// for the CPU kernels (kernels/cpu/loss.cc) and the CUDA kernels (kernels/cuda/loss.cu).
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/elementwise.h"
#include "kernels/host_device.h"

namespace latent::kernels {

// BCE with logits of one element, x a logit and t its target: -t log s(x) - (1-t) log(1 - s(x)),
// rearranged to max(x,0) - x t + log(1 + e^-|x|): log(1 - s(x)) is log(0) = -inf once s(x)
// rounds to 1 (x > 17 in float), and e^x overflows for x > 88; e^-|x| does neither.
// `tail` is log(1 + e^-|x|) (SoftplusTailOf), supplied by the caller as in SigmoidFromExp.
template <typename T>
LATENT_HOST_DEVICE T BceWithLogitsFromTail(T x, T t, T tail) {
  return (x > T(0) ? x : T(0)) - x * t + tail;
}
template <typename T>
LATENT_HOST_DEVICE T BceWithLogitsOf(T x, T t) {
  return BceWithLogitsFromTail(x, t, SoftplusTailOf(x));
}
// Its derivatives times the row's upstream gradient dl: dl/dx = s(x) - t, dl/dt = -x.
template <typename T>
LATENT_HOST_DEVICE T BceWithLogitsGradFromSigmoid(T s, T t, T dl) {
  return dl * (s - t);
}
template <typename T>
LATENT_HOST_DEVICE T BceWithLogitsGradLogit(T x, T t, T dl) {
  return BceWithLogitsGradFromSigmoid(SigmoidOf(x), t, dl);
}
template <typename T>
LATENT_HOST_DEVICE T BceWithLogitsGradTarget(T x, T dl) {
  return -dl * x;
}

// Squared error of one element, (a - b)^2, and its derivative in a times dl: 2 (a - b); the
// derivative in b is its negative.
template <typename T>
LATENT_HOST_DEVICE T SquaredErrorOf(T a, T b) {
  const T diff = a - b;
  return diff * diff;
}
template <typename T>
LATENT_HOST_DEVICE T SquaredErrorGrad(T a, T b, T dl) {
  return T(2) * dl * (a - b);
}

// x, t: (rows, cols) logits and targets; out: (rows)
template <typename T>
void BceWithLogitsForwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, T* out);
// dout: (rows); dx, dt: (rows, cols); dt may be null when the target needs no gradient.
template <typename T>
void BceWithLogitsBackwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, const T* dout,
                              T* dx, T* dt);
// f32's BCE kernels are specializations (kernels/cpu/loss.cc): their exp and log1p vectorize.
template <>
void BceWithLogitsForwardCpu<float>(int64_t rows, int64_t cols, const float* x, const float* t,
                                    float* out);
template <>
void BceWithLogitsBackwardCpu<float>(int64_t rows, int64_t cols, const float* x, const float* t,
                                     const float* dout, float* dx, float* dt);
template <typename T>
void MseForwardCpu(int64_t rows, int64_t cols, const T* a, const T* b, T* out);
// da, db: (rows, cols); either may be null.
template <typename T>
void MseBackwardCpu(int64_t rows, int64_t cols, const T* a, const T* b, const T* dout, T* da,
                    T* db);

void BceWithLogitsForwardCuda(int64_t rows, int64_t cols, const float* x, const float* t,
                              float* out);
void BceWithLogitsBackwardCuda(int64_t rows, int64_t cols, const float* x, const float* t,
                               const float* dout, float* dx, float* dt);
void MseForwardCuda(int64_t rows, int64_t cols, const float* a, const float* b, float* out);
void MseBackwardCuda(int64_t rows, int64_t cols, const float* a, const float* b, const float* dout,
                     float* da, float* db);

}  // namespace latent::kernels

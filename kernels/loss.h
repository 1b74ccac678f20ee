// Reconstruction losses, per row: each returns one number per example (summed over its
// features), which a Sum op turns into the batch loss. Per-row values are what anomaly scores
// and per-image metrics need.
//
//   BCE with logits:  l = max(x, 0) - x t + log(1 + e^-|x|)   (= -t log s(x) - (1-t) log(1-s(x)),
//                     written so that e^x never overflows)      dl/dx = s(x) - t,  dl/dt = -x
//   MSE:              l = (a - b)^2                             dl/da = 2(a - b),  dl/db = -2(a - b)
#pragma once

#include <cstdint>

namespace latent::kernels {

// x, t: (rows, cols) logits and targets; out: (rows)
template <typename T>
void BceWithLogitsForwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, T* out);
// dout: (rows); dx, dt: (rows, cols); dt may be null when the target needs no gradient.
template <typename T>
void BceWithLogitsBackwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, const T* dout,
                              T* dx, T* dt);
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
void MseBackwardCuda(int64_t rows, int64_t cols, const float* a, const float* b,
                     const float* dout, float* da, float* db);

}  // namespace latent::kernels

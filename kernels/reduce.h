// Reductions. All of them are deterministic: a fixed summation order on every device and no
// atomics, so two runs with one seed are bitwise identical.
// CPU: kernels/cpu/reduce.cc (accumulates in double, so a float sum over 10^5 terms keeps its
// digits). CUDA: kernels/cuda/reduce.cu.
#pragma once

#include <cstdint>

namespace latent::kernels {

// out[0] = sum_i x[i];  x: (n)
template <typename T>
void SumCpu(int64_t n, const T* x, T* out);
// out[c] = sum_r x[r, c];  x: (rows, cols), out: (cols)  (bias gradients)
template <typename T>
void ColumnSumCpu(int64_t rows, int64_t cols, const T* x, T* out);
// out[r] = sum_c x[r, c];  x: (rows, cols), out: (rows)  (per-row losses)
template <typename T>
void RowSumCpu(int64_t rows, int64_t cols, const T* x, T* out);

// The adjoints of the two sums above (their backward passes):
// y[r, c] = v[r]  (RowBroadcast: v (rows));  y[r, c] = v[c]  (ColumnBroadcast: v (cols)).
template <typename T>
void RowBroadcastCpu(int64_t rows, int64_t cols, const T* v, T* y);
template <typename T>
void ColumnBroadcastCpu(int64_t rows, int64_t cols, const T* v, T* y);

void SumCuda(int64_t n, const float* x, float* out);
void ColumnSumCuda(int64_t rows, int64_t cols, const float* x, float* out);
void RowSumCuda(int64_t rows, int64_t cols, const float* x, float* out);
void RowBroadcastCuda(int64_t rows, int64_t cols, const float* v, float* y);
void ColumnBroadcastCuda(int64_t rows, int64_t cols, const float* v, float* y);

}  // namespace latent::kernels

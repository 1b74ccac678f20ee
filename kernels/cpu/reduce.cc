// CPU reference for kernels/reduce.h: sum, column sums, row sums.
//
// n: number of elements; rows, cols: the shape of a row-major matrix.
// Every sum accumulates in double, one term after another in index order: a float accumulator
// rounds each add to 24 bits of the growing total (10^6 terms of 0.1 end 1% high), and a fixed
// order makes the result independent of the thread count.
#include "kernels/reduce.h"

#include <cstddef>
#include <vector>

namespace latent::kernels {
namespace {

// Below this many elements, waking the thread team costs about as much as the loop itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

}  // namespace

template <typename T>
void SumCpu(int64_t n, const T* x, T* out) {
  // x: (n), out: (1). One thread: splitting the sum would change its rounding with the thread
  // count.
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  out[0] = static_cast<T>(sum);
}

template <typename T>
void ColumnSumCpu(int64_t rows, int64_t cols, const T* x, T* out) {
  // x: (rows, cols), out: (cols). Walk x row by row (contiguous) into one double accumulator per
  // column; column c still sums r = 0, 1, ... in order.
  std::vector<double> sum(static_cast<size_t>(cols), 0.0);  // (cols)
  for (int64_t r = 0; r < rows; ++r) {
    const T* x_row = x + r * cols;  // (cols)
    for (int64_t c = 0; c < cols; ++c) sum[c] += x_row[c];
  }
  for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<T>(sum[c]);
}

template <typename T>
void RowSumCpu(int64_t rows, int64_t cols, const T* x, T* out) {
  // x: (rows, cols), out: (rows). Rows are independent, so each thread owns whole rows.
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* x_row = x + r * cols;  // (cols)
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += x_row[c];
    out[r] = static_cast<T>(sum);
  }
}

template <typename T>
void RowBroadcastCpu(int64_t rows, int64_t cols, const T* v, T* y) {
  // v: (rows), y: (rows, cols)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = v[r];
}

template <typename T>
void ColumnBroadcastCpu(int64_t rows, int64_t cols, const T* v, T* y) {
  // v: (cols), y: (rows, cols)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = v[c];
}

template void SumCpu<float>(int64_t, const float*, float*);
template void SumCpu<double>(int64_t, const double*, double*);
template void ColumnSumCpu<float>(int64_t, int64_t, const float*, float*);
template void ColumnSumCpu<double>(int64_t, int64_t, const double*, double*);
template void RowSumCpu<float>(int64_t, int64_t, const float*, float*);
template void RowSumCpu<double>(int64_t, int64_t, const double*, double*);
template void RowBroadcastCpu<float>(int64_t, int64_t, const float*, float*);
template void RowBroadcastCpu<double>(int64_t, int64_t, const double*, double*);
template void ColumnBroadcastCpu<float>(int64_t, int64_t, const float*, float*);
template void ColumnBroadcastCpu<double>(int64_t, int64_t, const double*, double*);

}  // namespace latent::kernels

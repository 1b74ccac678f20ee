// CPU reference for kernels/loss.h: per-row BCE-with-logits and squared error.
//
// rows: examples in the batch; cols: features per example (784 for MNIST).
// Each term is computed in T and added to a double accumulator per row, in column order; rows
// are independent, so a thread owns whole rows and the result does not depend on the thread
// count.
#include "kernels/loss.h"

namespace latent::kernels {
namespace {

// Below this many elements, waking the thread team costs about as much as the loop itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

}  // namespace

template <typename T>
void BceWithLogitsForwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, T* out) {
  // x, t: (rows, cols), out: (rows)
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* x_row = x + r * cols;  // (cols)
    const T* t_row = t + r * cols;  // (cols)
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += BceWithLogitsOf(x_row[c], t_row[c]);
    out[r] = static_cast<T>(sum);
  }
}

template <typename T>
void BceWithLogitsBackwardCpu(int64_t rows, int64_t cols, const T* x, const T* t, const T* dout,
                              T* dx, T* dt) {
  // x, t, dx, dt: (rows, cols); dout: (rows)
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r * cols;
    for (int64_t c = 0; c < cols; ++c)
      dx[row + c] = BceWithLogitsGradLogit(x[row + c], t[row + c], dout[r]);
    if (dt == nullptr) continue;
    for (int64_t c = 0; c < cols; ++c) dt[row + c] = BceWithLogitsGradTarget(x[row + c], dout[r]);
  }
}

template <typename T>
void MseForwardCpu(int64_t rows, int64_t cols, const T* a, const T* b, T* out) {
  // a, b: (rows, cols), out: (rows)
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const T* a_row = a + r * cols;  // (cols)
    const T* b_row = b + r * cols;  // (cols)
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += SquaredErrorOf(a_row[c], b_row[c]);
    out[r] = static_cast<T>(sum);
  }
}

template <typename T>
void MseBackwardCpu(int64_t rows, int64_t cols, const T* a, const T* b, const T* dout, T* da,
                    T* db) {
  // a, b, da, db: (rows, cols); dout: (rows)
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      const T grad_a = SquaredErrorGrad(a[row + c], b[row + c], dout[r]);
      if (da != nullptr) da[row + c] = grad_a;
      if (db != nullptr) db[row + c] = -grad_a;
    }
  }
}

#define LATENT_INSTANTIATE_LOSS(T)                                                              \
  template void BceWithLogitsForwardCpu<T>(int64_t, int64_t, const T*, const T*, T*);           \
  template void BceWithLogitsBackwardCpu<T>(int64_t, int64_t, const T*, const T*, const T*, T*, \
                                            T*);                                                \
  template void MseForwardCpu<T>(int64_t, int64_t, const T*, const T*, T*);                     \
  template void MseBackwardCpu<T>(int64_t, int64_t, const T*, const T*, const T*, T*, T*);
LATENT_INSTANTIATE_LOSS(float)
LATENT_INSTANTIATE_LOSS(double)
#undef LATENT_INSTANTIATE_LOSS

}  // namespace latent::kernels

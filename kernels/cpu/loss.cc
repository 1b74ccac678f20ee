// CPU reference for kernels/loss.h: per-row BCE-with-logits and squared error.
//
// rows: examples in the batch; cols: features per example (784 for MNIST).
// Each term is computed in T and added to a double accumulator per row, in column order; rows
// are independent, so a thread owns whole rows and the result does not depend on the thread
// count. BCE in f32 is the exception, below the generic kernels.
#include "kernels/loss.h"

#include <algorithm>

#include "kernels/cpu/vec_math.h"

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

// BCE with logits in f32, the loss of every Bernoulli decoder: exp and log1p come from
// kernels/cpu/vec_math.h, so the loops vectorize. The forward evaluates each term in double, the
// type of its row sum, into a buffer, then adds term c to partial sum c mod kLanes and the partial
// sums in order at the end: one running sum would be a chain of `cols` dependent additions. The
// order is fixed by this source, not by the vector width or the thread count.
template <>
void BceWithLogitsForwardCpu<float>(int64_t rows, int64_t cols, const float* x, const float* t,
                                    float* out) {
  // x, t: (rows, cols), out: (rows)
  constexpr int kLanes = 8;
  constexpr int64_t kChunk = 256;  // a multiple of kLanes: terms buffered on the stack, 2 KB
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const float* x_row = x + r * cols;  // (cols)
    const float* t_row = t + r * cols;  // (cols)
    double partial[kLanes] = {};
    for (int64_t c0 = 0; c0 < cols; c0 += kChunk) {
      const int64_t n = std::min(kChunk, cols - c0);
      double terms[kChunk];
      for (int64_t c = 0; c < n; ++c) {
        const double xc = x_row[c0 + c];
        terms[c] = BceWithLogitsFromTail(xc, double{t_row[c0 + c]}, vec::SoftplusTailD(xc));
      }
      int64_t c = 0;
      for (; c + kLanes <= n; c += kLanes)  // one vector addition per kLanes terms
        for (int l = 0; l < kLanes; ++l) partial[l] += terms[c + l];
      for (; c < n; ++c) partial[c % kLanes] += terms[c];
    }
    double sum = 0;
    for (int l = 0; l < kLanes; ++l) sum += partial[l];
    out[r] = static_cast<float>(sum);
  }
}

template <>
void BceWithLogitsBackwardCpu<float>(int64_t rows, int64_t cols, const float* x, const float* t,
                                     const float* dout, float* dx, float* dt) {
  // x, t, dx, dt: (rows, cols); dout: (rows)
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r * cols;
    const float dl = dout[r];  // read once: dx might alias dout as far as the compiler knows
    for (int64_t c = 0; c < cols; ++c)
      dx[row + c] = BceWithLogitsGradFromSigmoid(vec::Sigmoid(x[row + c]), t[row + c], dl);
    if (dt == nullptr) continue;
    for (int64_t c = 0; c < cols; ++c) dt[row + c] = BceWithLogitsGradTarget(x[row + c], dl);
  }
}

// f32's BCE kernels are the specializations above.
template void BceWithLogitsForwardCpu<double>(int64_t, int64_t, const double*, const double*,
                                              double*);
template void BceWithLogitsBackwardCpu<double>(int64_t, int64_t, const double*, const double*,
                                               const double*, double*, double*);
#define LATENT_INSTANTIATE_MSE(T)                                           \
  template void MseForwardCpu<T>(int64_t, int64_t, const T*, const T*, T*); \
  template void MseBackwardCpu<T>(int64_t, int64_t, const T*, const T*, const T*, T*, T*);
LATENT_INSTANTIATE_MSE(float)
LATENT_INSTANTIATE_MSE(double)
#undef LATENT_INSTANTIATE_MSE

}  // namespace latent::kernels

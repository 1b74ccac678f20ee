// CPU reference for kernels/elementwise.h: activations, binary arithmetic, fills, bias rows.
//
// n: number of elements; rows, cols: the shape of a row-major matrix.
// UnaryForwardCpu and UnaryBackwardCpu list the ops in the same order, so each derivative is one
// screen below its function. The switch is outside the loop, so each loop body is one plain
// expression: the arithmetic ones vectorize; exp, log and tanh stay scalar libm calls.
#include "kernels/elementwise.h"

#include <cmath>

#include "kernels/error.h"
#include "kernels/philox.h"

namespace latent::kernels {
namespace {

// Below this many elements, waking the thread team costs about as much as the loop itself.
constexpr int64_t kParallelMin = int64_t{1} << 16;

// Runs body(i) for every i in [0, n). `body` is a lambda, inlined into the loop (not called
// through a pointer). Each i is written by exactly one thread, so results do not depend on the
// thread count.
template <typename Body>
void ForEach(int64_t n, Body body) {
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
  for (int64_t i = 0; i < n; ++i) body(i);
}


}  // namespace

template <typename T>
void UnaryForwardCpu(UnaryOp op, int64_t n, T alpha, const T* x, T* y) {
  // x, y: (n)
  switch (op) {
    // `x < 0 ? 0 : x` rather than `x > 0 ? x : 0` so that a NaN input stays NaN and is noticed.
    case UnaryOp::kRelu: return ForEach(n, [&](int64_t i) { y[i] = x[i] < T(0) ? T(0) : x[i]; });
    case UnaryOp::kLeakyRelu:
      return ForEach(n, [&](int64_t i) { y[i] = x[i] > T(0) ? x[i] : alpha * x[i]; });
    case UnaryOp::kSigmoid: return ForEach(n, [&](int64_t i) { y[i] = SigmoidOf(x[i]); });
    case UnaryOp::kTanh: return ForEach(n, [&](int64_t i) { y[i] = std::tanh(x[i]); });
    case UnaryOp::kSoftplus:
      // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^x would overflow for x > 88 in float, and
      // log1p keeps the tiny value e^-|x| that log(1 + e^-|x|) would round to 0.
      return ForEach(n, [&](int64_t i) {
        y[i] = (x[i] > T(0) ? x[i] : T(0)) + std::log1p(std::exp(-std::abs(x[i])));
      });
    case UnaryOp::kExp: return ForEach(n, [&](int64_t i) { y[i] = std::exp(x[i]); });
    case UnaryOp::kLog: return ForEach(n, [&](int64_t i) { y[i] = std::log(x[i]); });
    case UnaryOp::kSquare: return ForEach(n, [&](int64_t i) { y[i] = x[i] * x[i]; });
    case UnaryOp::kScale: return ForEach(n, [&](int64_t i) { y[i] = alpha * x[i]; });
    case UnaryOp::kAddScalar: return ForEach(n, [&](int64_t i) { y[i] = x[i] + alpha; });
    case UnaryOp::kAbs: return ForEach(n, [&](int64_t i) { y[i] = std::abs(x[i]); });
  }
  LATENT_FAIL("UnaryForwardCpu: unknown UnaryOp ", static_cast<int>(op));
}

template <typename T>
void UnaryBackwardCpu(UnaryOp op, int64_t n, T alpha, const T* x, const T* y, const T* dy, T* dx) {
  // x, y, dy, dx: (n). dx = dy * f'(x), each f' written in whichever of x, y is cheaper.
  switch (op) {
    // At the kink x = 0 both take the left derivative (0 and alpha), as PyTorch does.
    case UnaryOp::kRelu:
      return ForEach(n, [&](int64_t i) { dx[i] = x[i] > T(0) ? dy[i] : T(0); });
    case UnaryOp::kLeakyRelu:
      return ForEach(n, [&](int64_t i) { dx[i] = x[i] > T(0) ? dy[i] : alpha * dy[i]; });
    case UnaryOp::kSigmoid:  // s' = s (1 - s)
      return ForEach(n, [&](int64_t i) { dx[i] = dy[i] * y[i] * (T(1) - y[i]); });
    case UnaryOp::kTanh:  // tanh' = 1 - tanh^2
      return ForEach(n, [&](int64_t i) { dx[i] = dy[i] * (T(1) - y[i] * y[i]); });
    case UnaryOp::kSoftplus:  // softplus' = s(x); from x, since 1 - e^-y loses digits for large x
      return ForEach(n, [&](int64_t i) { dx[i] = dy[i] * SigmoidOf(x[i]); });
    case UnaryOp::kExp: return ForEach(n, [&](int64_t i) { dx[i] = dy[i] * y[i]; });
    case UnaryOp::kLog: return ForEach(n, [&](int64_t i) { dx[i] = dy[i] / x[i]; });
    case UnaryOp::kSquare: return ForEach(n, [&](int64_t i) { dx[i] = T(2) * x[i] * dy[i]; });
    case UnaryOp::kScale: return ForEach(n, [&](int64_t i) { dx[i] = alpha * dy[i]; });
    case UnaryOp::kAddScalar: return ForEach(n, [&](int64_t i) { dx[i] = dy[i]; });
    case UnaryOp::kAbs:  // sign(x); 0 at the kink, the subgradient PyTorch uses
      return ForEach(n, [&](int64_t i) {
        dx[i] = x[i] > T(0) ? dy[i] : (x[i] < T(0) ? -dy[i] : T(0));
      });
  }
  LATENT_FAIL("UnaryBackwardCpu: unknown UnaryOp ", static_cast<int>(op));
}

template <typename T>
void BinaryCpu(BinaryOp op, int64_t n, const T* a, const T* b, T* c) {
  // a, b, c: (n)
  switch (op) {
    case BinaryOp::kAdd: return ForEach(n, [&](int64_t i) { c[i] = a[i] + b[i]; });
    case BinaryOp::kSub: return ForEach(n, [&](int64_t i) { c[i] = a[i] - b[i]; });
    case BinaryOp::kMul: return ForEach(n, [&](int64_t i) { c[i] = a[i] * b[i]; });
  }
  LATENT_FAIL("BinaryCpu: unknown BinaryOp ", static_cast<int>(op));
}

template <typename T>
void AxpbyCpu(int64_t n, T a, const T* x, T b, T* y) {
  // x, y: (n)
  // b == 0 means "overwrite": y may be uninitialized memory, and 0 * NaN would be NaN.
  if (b == T(0)) return ForEach(n, [&](int64_t i) { y[i] = a * x[i]; });
  ForEach(n, [&](int64_t i) { y[i] = a * x[i] + b * y[i]; });
}

template <typename T>
void FillCpu(int64_t n, T value, T* y) {
  // y: (n)
  ForEach(n, [&](int64_t i) { y[i] = value; });
}

template <typename T>
void BroadcastScalarCpu(int64_t n, T scale, const T* s, T* y) {
  // s: (1), y: (n). Read s once, before the loop: y may be the buffer s lives in.
  const T value = scale * s[0];
  ForEach(n, [&](int64_t i) { y[i] = value; });
}

template <typename T>
void AddBiasRowsCpu(int64_t rows, int64_t cols, const T* bias, T* y) {
  // bias: (cols), y: (rows, cols). `+=` because y already holds x W; the bias is added in place.
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelMin)
  for (int64_t r = 0; r < rows; ++r) {
    T* y_row = y + r * cols;  // (cols)
    for (int64_t c = 0; c < cols; ++c) y_row[c] += bias[c];
  }
}

template <typename T>
void DropoutCpu(int64_t n, T p, uint64_t seed, uint64_t offset, const T* x, T* y) {
  // x, y: (n). Scaling the kept units by 1 / (1 - p) keeps E[y] = x, so evaluation (no dropout)
  // sees activations of the size training did.
  const T scale = T(1) / (T(1) - p);
  ForEach(n, [&](int64_t i) {
    y[i] = PhiloxUniform(seed, offset, static_cast<uint64_t>(i)) >= p ? x[i] * scale : T(0);
  });
}

#define LATENT_INSTANTIATE_ELEMENTWISE(T)                                                     \
  template void UnaryForwardCpu<T>(UnaryOp, int64_t, T, const T*, T*);                        \
  template void UnaryBackwardCpu<T>(UnaryOp, int64_t, T, const T*, const T*, const T*, T*);   \
  template void BinaryCpu<T>(BinaryOp, int64_t, const T*, const T*, T*);                      \
  template void AxpbyCpu<T>(int64_t, T, const T*, T, T*);                                     \
  template void FillCpu<T>(int64_t, T, T*);                                                   \
  template void BroadcastScalarCpu<T>(int64_t, T, const T*, T*);                              \
  template void AddBiasRowsCpu<T>(int64_t, int64_t, const T*, T*);                         \
  template void DropoutCpu<T>(int64_t, T, uint64_t, uint64_t, const T*, T*);
LATENT_INSTANTIATE_ELEMENTWISE(float)
LATENT_INSTANTIATE_ELEMENTWISE(double)
#undef LATENT_INSTANTIATE_ELEMENTWISE
template void FillCpu<int32_t>(int64_t, int32_t, int32_t*);

}  // namespace latent::kernels

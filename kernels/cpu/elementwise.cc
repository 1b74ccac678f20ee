// CPU reference for kernels/elementwise.h: activations, binary arithmetic, fills, bias rows.
//
// n: number of elements; rows, cols: the shape of a row-major matrix.
// The formulas are the header's (Activate, ActivationGrad, BinaryOf, DropoutOf); each kernel here
// is a loop that applies one of them, with the op made a compile-time constant outside the loop
// (WithConstant), so each loop body is one plain expression: the arithmetic ones vectorize, and so
// do sigmoid and softplus in f32, whose exp and log1p come from kernels/cpu/vec_math.h; exp, log
// and tanh stay scalar libm calls.
#include "kernels/elementwise.h"

#include <type_traits>

#include "kernels/cpu/vec_math.h"
#include "kernels/error.h"

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

// Calls fn(std::integral_constant<Enum, op>()): fn is compiled once per value of the enum, and in
// each the switch of the formula it calls folds away. Throws for a value past Enum::kCount.
template <typename Enum, int kValue = 0, typename Fn>
void WithConstant(const char* kernel, Enum op, Fn fn) {
  if constexpr (kValue < static_cast<int>(Enum::kCount)) {
    constexpr Enum kOp = static_cast<Enum>(kValue);
    if (op == kOp) return fn(std::integral_constant<Enum, kOp>());
    WithConstant<Enum, kValue + 1>(kernel, op, fn);
  } else {
    LATENT_FAIL(kernel, ": unknown op ", static_cast<int>(op));
  }
}

}  // namespace

template <typename T>
void UnaryForwardCpu(Activation act, int64_t n, T alpha, const T* x, T* y) {
  // x, y: (n)
  WithConstant("UnaryForwardCpu", act, [&](auto kAct) {
    ForEach(n, [&](int64_t i) { y[i] = vec::ActivateCpu<T>(kAct, x[i], alpha); });
  });
}

template <typename T>
void UnaryBackwardCpu(Activation act, int64_t n, T alpha, const T* x, const T* y, const T* dy,
                      T* dx) {
  // x, y, dy, dx: (n). With the op a constant, the load of whichever of x, y the derivative does
  // not use is dead code.
  WithConstant("UnaryBackwardCpu", act, [&](auto kAct) {
    ForEach(n,
            [&](int64_t i) { dx[i] = vec::ActivationGradCpu<T>(kAct, x[i], y[i], dy[i], alpha); });
  });
}

template <typename T>
void BinaryCpu(BinaryOp op, int64_t n, const T* a, const T* b, T* c) {
  // a, b, c: (n)
  WithConstant("BinaryCpu", op, [&](auto kOp) {
    ForEach(n, [&](int64_t i) { c[i] = BinaryOf<T>(kOp, a[i], b[i]); });
  });
}

template <typename T>
void AxpbyCpu(int64_t n, T a, const T* x, T b, T* y) {
  // x, y: (n)
  // b == 0 means "overwrite": y may be uninitialized memory, and 0 * NaN would be NaN. The result
  // is a x + 0, as if y held +0: bit for bit what a fill with 0 and then a x + y would give
  // (-0 included), which is how autograd writes a leaf's first gradient after ZeroGrad.
  if (b == T(0)) return ForEach(n, [&](int64_t i) { y[i] = a * x[i] + T(0); });
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
  // x, y: (n)
  const T scale = DropoutScale(p);
  ForEach(n, [&](int64_t i) {
    y[i] = DropoutOf(x[i], p, scale, seed, offset, static_cast<uint64_t>(i));
  });
}

#define LATENT_INSTANTIATE_ELEMENTWISE(T)                                                      \
  template void UnaryForwardCpu<T>(Activation, int64_t, T, const T*, T*);                      \
  template void UnaryBackwardCpu<T>(Activation, int64_t, T, const T*, const T*, const T*, T*); \
  template void BinaryCpu<T>(BinaryOp, int64_t, const T*, const T*, T*);                       \
  template void AxpbyCpu<T>(int64_t, T, const T*, T, T*);                                      \
  template void FillCpu<T>(int64_t, T, T*);                                                    \
  template void BroadcastScalarCpu<T>(int64_t, T, const T*, T*);                               \
  template void AddBiasRowsCpu<T>(int64_t, int64_t, const T*, T*);                             \
  template void DropoutCpu<T>(int64_t, T, uint64_t, uint64_t, const T*, T*);
LATENT_INSTANTIATE_ELEMENTWISE(float)
LATENT_INSTANTIATE_ELEMENTWISE(double)
#undef LATENT_INSTANTIATE_ELEMENTWISE
template void FillCpu<int32_t>(int64_t, int32_t, int32_t*);

}  // namespace latent::kernels

// Elementwise kernels: activations forward/backward, binary arithmetic, fills, bias rows and
// dropout.
//
// Every function writes its output with `=`; the autograd engine does the `+=` accumulation, so a
// kernel never has to know whether its output buffer already holds a gradient.
// CPU versions: kernels/cpu/elementwise.cc (T = float or double). CUDA versions:
// kernels/cuda/elementwise.cu (float), launched on the current device's stream. Both compute each
// element with the formulas below, written once: the CPU's result is the specification, and the
// GPU's differs from it only by rounding: nvcc's expf, tanhf and log1pf against the CPU's (libm, or
// in f32 for sigmoid and softplus kernels/cpu/vec_math.h), and FMA contraction.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/philox.h"

namespace latent::kernels {

// The elementwise functions of one tensor that autograd differentiates: the activations of layers
// and the arithmetic that ops and losses are built from. One list for the kernels and the core:
// each is a case of the unary kernels, an op of the op table (OpKindOf in core/op_table.h), and
// identity, relu and sigmoid are also the fused epilogues of the GEMM (kernels/gemm.h).
// `alpha` is the negative slope of kLeakyRelu, the factor of kScale and the addend of kAddScalar.
enum class Activation : uint8_t {
  kIdentity,   // x: a linear layer without activation
  kRelu,       // max(x, 0)
  kLeakyRelu,  // x > 0 ? x : alpha x
  kSigmoid,    // 1 / (1 + e^-x)
  kTanh,       // tanh x
  kSoftplus,   // log(1 + e^x)
  kExp,        // e^x
  kLog,        // log x
  kSquare,     // x^2
  kScale,      // alpha x
  kAddScalar,  // x + alpha
  kAbs,        // |x|
  kCount       // keep last
};
constexpr int kNumActivations = static_cast<int>(Activation::kCount);

// 1 / (1 + e^-x), from e = e^-|x| in (0, 1] so no intermediate overflows for large |x|: the
// negative branch uses the identity s(x) = e^x / (1 + e^x).
// The formulas that need a transcendental are split into it and the arithmetic around it, so
// that the CPU's f32 kernels can supply their vectorized exp and log1p (kernels/cpu/vec_math.h)
// to the same arithmetic.
template <typename T>
LATENT_HOST_DEVICE T SigmoidFromExp(T x, T e) {
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}
template <typename T>
LATENT_HOST_DEVICE T SigmoidOf(T x) {
  using std::abs, std::exp;  // the float overloads when T is float
  return SigmoidFromExp(x, exp(-abs(x)));
}

// log(1 + e^-|x|), the transcendental part of softplus and of BCE with logits. log1p keeps the
// tiny value e^-|x| that log(1 + e^-|x|) would round to 0.
template <typename T>
LATENT_HOST_DEVICE T SoftplusTailOf(T x) {
  using std::abs, std::exp, std::log1p;
  return log1p(exp(-abs(x)));
}
// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^x would overflow for x > 88 in float.
template <typename T>
LATENT_HOST_DEVICE T SoftplusFromTail(T x, T tail) {
  return (x > T(0) ? x : T(0)) + tail;
}

// y = f(x).
template <typename T>
LATENT_HOST_DEVICE T Activate(Activation act, T x, T alpha) {
  using std::abs, std::exp, std::log, std::tanh;
  switch (act) {
    case Activation::kIdentity: return x;
    // `x < 0 ? 0 : x` rather than `x > 0 ? x : 0` so that a NaN input stays NaN and is noticed.
    case Activation::kRelu: return x < T(0) ? T(0) : x;
    case Activation::kLeakyRelu: return x > T(0) ? x : alpha * x;
    case Activation::kSigmoid: return SigmoidOf(x);
    case Activation::kTanh: return tanh(x);
    case Activation::kSoftplus: return SoftplusFromTail(x, SoftplusTailOf(x));
    case Activation::kExp: return exp(x);
    case Activation::kLog: return log(x);
    case Activation::kSquare: return x * x;
    case Activation::kScale: return alpha * x;
    case Activation::kAddScalar: return x + alpha;
    case Activation::kAbs: return abs(x);
    case Activation::kCount: break;
  }
  return T(0);  // kCount is no activation: every kernel rejects it before it gets here
}

// Whether ActivationGrad reads y = f(x) rather than x: f' is written in whichever is cheaper, and
// the kernels load only that one.
constexpr LATENT_HOST_DEVICE bool ActivationGradReadsOutput(Activation act) {
  return act == Activation::kSigmoid || act == Activation::kTanh || act == Activation::kExp;
}

// dx = dy * f'(x), from x or from y = f(x) (ActivationGradReadsOutput); the other is ignored.
template <typename T>
LATENT_HOST_DEVICE T ActivationGrad(Activation act, T x, T y, T dy, T alpha) {
  switch (act) {
    case Activation::kIdentity: return dy;
    // At the kink x = 0 both take the left derivative (0 and alpha), as PyTorch does.
    case Activation::kRelu: return x > T(0) ? dy : T(0);
    case Activation::kLeakyRelu: return x > T(0) ? dy : alpha * dy;
    case Activation::kSigmoid: return dy * y * (T(1) - y);  // s' = s (1 - s)
    case Activation::kTanh:
      return dy * (T(1) - y * y);  // tanh' = 1 - tanh^2
    // softplus' = s(x); from x, since 1 - e^-y loses digits for large x.
    case Activation::kSoftplus: return dy * SigmoidOf(x);
    case Activation::kExp: return dy * y;
    case Activation::kLog: return dy / x;
    case Activation::kSquare: return T(2) * x * dy;
    case Activation::kScale: return alpha * dy;
    case Activation::kAddScalar: return dy;
    // sign(x); 0 at the kink, the subgradient PyTorch uses.
    case Activation::kAbs: return x > T(0) ? dy : (x < T(0) ? -dy : T(0));
    case Activation::kCount: break;
  }
  return T(0);  // kCount: rejected by every kernel
}

enum class BinaryOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kCount  // keep last
};

// c = a (op) b.
template <typename T>
LATENT_HOST_DEVICE T BinaryOf(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kCount: break;
  }
  return T(0);  // kCount: rejected by every kernel
}

// Inverted dropout of element i: y = x * keep * scale, keep = [u_i >= p], u_i = PhiloxUniform(seed,
// offset, i), scale = DropoutScale(p). Scaling the kept units by 1 / (1 - p) keeps E[y] = x, so
// evaluation (no dropout) sees activations of the size training did.
template <typename T>
LATENT_HOST_DEVICE T DropoutScale(T p) {
  return T(1) / (T(1) - p);
}
template <typename T>
LATENT_HOST_DEVICE T DropoutOf(T x, T p, T scale, uint64_t seed, uint64_t offset, uint64_t i) {
  return PhiloxUniform(seed, offset, i) >= p ? x * scale : T(0);
}

// x, y: (n); y = Activate(act, x, alpha)
template <typename T>
void UnaryForwardCpu(Activation act, int64_t n, T alpha, const T* x, T* y);
// dx = ActivationGrad(act, x, y, dy, alpha). Both x and y = f(x) are passed; only one is read.
template <typename T>
void UnaryBackwardCpu(Activation act, int64_t n, T alpha, const T* x, const T* y, const T* dy,
                      T* dx);
// c = a (op) b; a, b, c: (n)
template <typename T>
void BinaryCpu(BinaryOp op, int64_t n, const T* a, const T* b, T* c);
// y = a * x + b * y; with b == 0, y is written without being read, as a * x + 0 (y taken as +0).
template <typename T>
void AxpbyCpu(int64_t n, T a, const T* x, T b, T* y);
// y[i] = value  (T: float, double or int32_t)
template <typename T>
void FillCpu(int64_t n, T value, T* y);
// y[i] = scale * s[0], where s is a one-element buffer (the gradient of a sum or mean).
template <typename T>
void BroadcastScalarCpu(int64_t n, T scale, const T* s, T* y);
// y[r, c] += bias[c];  y: (rows, cols), bias: (cols)
template <typename T>
void AddBiasRowsCpu(int64_t rows, int64_t cols, const T* bias, T* y);
// y = DropoutOf(x, p, ...) of stream (seed, offset); x, y: (n). The backward pass applies the same
// function to dy: the mask is regenerated.
template <typename T>
void DropoutCpu(int64_t n, T p, uint64_t seed, uint64_t offset, const T* x, T* y);

void UnaryForwardCuda(Activation act, int64_t n, float alpha, const float* x, float* y);
void UnaryBackwardCuda(Activation act, int64_t n, float alpha, const float* x, const float* y,
                       const float* dy, float* dx);
void BinaryCuda(BinaryOp op, int64_t n, const float* a, const float* b, float* c);
void AxpbyCuda(int64_t n, float a, const float* x, float b, float* y);
void FillCuda(int64_t n, float value, float* y);
void FillCuda(int64_t n, int32_t value, int32_t* y);
void BroadcastScalarCuda(int64_t n, float scale, const float* s, float* y);
void AddBiasRowsCuda(int64_t rows, int64_t cols, const float* bias, float* y);
void DropoutCuda(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y);

}  // namespace latent::kernels

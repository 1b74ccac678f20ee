// Elementwise kernels: activations forward/backward, binary arithmetic, fills and bias rows.
//
// Every function writes its output with `=`; the autograd engine does the `+=` accumulation, so a
// kernel never has to know whether its output buffer already holds a gradient.
// CPU versions: kernels/cpu/elementwise.cc (T = float or double). CUDA versions:
// kernels/cuda/elementwise.cu (float), launched on the current device's stream.
#pragma once

#include <cmath>
#include <cstdint>

namespace latent::kernels {

// 1 / (1 + e^-x), from e^-|x| in (0, 1] so no intermediate overflows for large |x|: the
// negative branch uses the identity s(x) = e^x / (1 + e^x). Host code: the CPU activation kernels
// and the CPU GEMM's fused epilogue share it, so fused and unfused results agree bit for bit.
template <typename T>
inline T SigmoidOf(T x) {
  const T e = std::exp(-std::abs(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

// y = f(x). `alpha` is the negative slope for kLeakyRelu and the factor for kScale.
enum class UnaryOp : uint8_t {
  kRelu,       // max(x, 0)
  kLeakyRelu,  // x > 0 ? x : alpha x
  kSigmoid,    // 1 / (1 + e^-x)
  kTanh,       // tanh x
  kSoftplus,   // log(1 + e^x), computed as max(x,0) + log1p(e^-|x|)
  kExp,        // e^x
  kLog,        // log x
  kSquare,     // x^2
  kScale,      // alpha x
  kAddScalar,  // x + alpha
  kAbs,        // |x|
};

enum class BinaryOp : uint8_t { kAdd, kSub, kMul };

// x, y: (n)
template <typename T>
void UnaryForwardCpu(UnaryOp op, int64_t n, T alpha, const T* x, T* y);
// dx = dy * f'(x). Both x and y = f(x) are passed; each op reads the cheaper one (sigmoid, tanh
// and exp use y).
template <typename T>
void UnaryBackwardCpu(UnaryOp op, int64_t n, T alpha, const T* x, const T* y, const T* dy, T* dx);
// c = a (op) b; a, b, c: (n)
template <typename T>
void BinaryCpu(BinaryOp op, int64_t n, const T* a, const T* b, T* c);
// y = a * x + b * y; with b == 0, y is written without being read.
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
// Inverted dropout: y = x * keep / (1 - p) with keep = [u_i >= p], u_i = PhiloxUniform(seed,
// offset, i). The backward pass applies the same function to dy: the mask is regenerated.
template <typename T>
void DropoutCpu(int64_t n, T p, uint64_t seed, uint64_t offset, const T* x, T* y);

void UnaryForwardCuda(UnaryOp op, int64_t n, float alpha, const float* x, float* y);
void UnaryBackwardCuda(UnaryOp op, int64_t n, float alpha, const float* x, const float* y,
                       const float* dy, float* dx);
void BinaryCuda(BinaryOp op, int64_t n, const float* a, const float* b, float* c);
void AxpbyCuda(int64_t n, float a, const float* x, float b, float* y);
void FillCuda(int64_t n, float value, float* y);
void FillCuda(int64_t n, int32_t value, int32_t* y);
void BroadcastScalarCuda(int64_t n, float scale, const float* s, float* y);
void AddBiasRowsCuda(int64_t rows, int64_t cols, const float* bias, float* y);
void DropoutCuda(int64_t n, float p, uint64_t seed, uint64_t offset, const float* x, float* y);

}  // namespace latent::kernels

// Tensor-level arithmetic without autograd: each function checks its arguments and dispatches to
// the device's kernel. The differentiable ops in core/ops_*.cc compute their forward and backward
// passes with these; nothing here records a graph.
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/elementwise.h"

namespace latent::math {

// y = f(x) for the activation f.
Tensor Unary(kernels::Activation act, const Tensor& x, double alpha = 0.0);
// dx = dy * f'(x), with y = f(x) already computed.
Tensor UnaryGrad(kernels::Activation act, const Tensor& x, const Tensor& y, const Tensor& dy,
                 double alpha = 0.0);
Tensor Binary(kernels::BinaryOp op, const Tensor& a, const Tensor& b);
inline Tensor Add(const Tensor& a, const Tensor& b) {
  return Binary(kernels::BinaryOp::kAdd, a, b);
}
// dst += src
void AddInPlace(Tensor& dst, const Tensor& src);
// y = a * x + b * y
void Axpby(double a, const Tensor& x, double b, Tensor& y);
// A tensor of x's shape filled with scale * s[0] (s: one element, may live on a GPU).
Tensor BroadcastScalar(const Tensor& s, const Shape& shape, double scale);

// C = op(A) op(B): A, B, C 2-D. Uses the device's GEMM: the optimized CPU kernel for f32, the
// reference loop for f64 (core/dispatch.h), on GPUs the handwritten CUDA SGEMM or cuBLAS, as the
// CudaGemmScope in force says.
Tensor Gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b);
void GemmInto(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c);

// Which GEMM runs the matrix products of CUDA tensors: latent's (the default) or cuBLAS, the
// baseline it is measured against (`--gemm`). The choice holds on the calling thread while a
// CudaGemmScope lives, and is read where a GEMM is dispatched (GemmInto, and the fused linear
// layers of core/ops_linear.cc). A scope, not a process-wide switch: it covers exactly the code
// that asked for it (a training run, one side of a benchmark), nests, and is undone when that
// code ends, an exception included, so a choice cannot leak into later work or other threads.
enum class CudaGemm { kLatent, kCublas };
class CudaGemmScope {
 public:
  explicit CudaGemmScope(CudaGemm gemm);
  ~CudaGemmScope();
  CudaGemmScope(const CudaGemmScope&) = delete;
  CudaGemmScope& operator=(const CudaGemmScope&) = delete;

  // The choice of the innermost scope alive on this thread; kLatent outside any.
  static CudaGemm Current();

 private:
  CudaGemm previous_;
};

// y[r, :] += bias  (y: (rows, cols), bias: (cols))
void AddBiasRows(Tensor& y, const Tensor& bias);
Tensor SumAll(const Tensor& x);        // (1)
Tensor ColumnSum(const Tensor& x);     // (rows, cols) -> (cols)
Tensor RowSum(const Tensor& x);        // (rows, ...) -> (rows)
// The adjoints: v (rows) or v (cols) repeated into `shape` (rows, cols).
Tensor RowBroadcast(const Tensor& v, const Shape& shape);
Tensor ColumnBroadcast(const Tensor& v, const Shape& shape);
// One-hot codes: labels i32 (B) -> (B, classes) f32 on the labels' device.
Tensor OneHot(const Tensor& labels, int64_t classes);

}  // namespace latent::math

#include "core/tensor_math.h"

#include "core/dispatch.h"
#include "kernels/classify.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"

namespace latent::math {

using kernels::Activation;
using kernels::BinaryOp;

Tensor Unary(Activation act, const Tensor& x, double alpha) {
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch("unary", x, LATENT_KERNELS(kernels::UnaryForwardCpu, kernels::UnaryForwardCuda),
           [&](auto unary, auto zero) {
             using T = decltype(zero);
             unary(act, x.numel(), T(alpha), x.data<T>(), y.data<T>());
           });
  return y;
}

Tensor UnaryGrad(Activation act, const Tensor& x, const Tensor& y, const Tensor& dy, double alpha) {
  CheckSameShape("unary backward", x, dy);
  Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch("unary backward", x,
           LATENT_KERNELS(kernels::UnaryBackwardCpu, kernels::UnaryBackwardCuda),
           [&](auto unary_backward, auto zero) {
             using T = decltype(zero);
             unary_backward(act, x.numel(), T(alpha), x.data<T>(), y.data<T>(), dy.data<T>(),
                            dx.data<T>());
           });
  return dx;
}

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op == BinaryOp::kAdd ? "add" : op == BinaryOp::kSub ? "sub" : "mul";
  CheckSameDevice(name, a, b);
  CheckSameDType(name, a, b);
  CheckSameShape(name, a, b);
  Tensor c = Tensor::Empty(a.shape(), a.dtype(), a.device());
  Dispatch(name, a, LATENT_KERNELS(kernels::BinaryCpu, kernels::BinaryCuda),
           [&](auto binary, auto zero) {
             using T = decltype(zero);
             binary(op, a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
           });
  return c;
}

void Axpby(double a, const Tensor& x, double b, Tensor& y) {
  CheckSameDevice("axpby", x, y);
  CheckSameDType("axpby", x, y);
  LATENT_CHECK(x.numel() == y.numel(), "axpby: expected ", y.numel(), " elements, found ",
               x.numel());
  Dispatch("axpby", y, LATENT_KERNELS(kernels::AxpbyCpu, kernels::AxpbyCuda),
           [&](auto axpby, auto zero) {
             using T = decltype(zero);
             axpby(y.numel(), T(a), x.data<T>(), T(b), y.data<T>());
           });
}

void AddInPlace(Tensor& dst, const Tensor& src) {
  CheckSameShape("add_", dst, src);
  Axpby(1.0, src, 1.0, dst);
}

Tensor BroadcastScalar(const Tensor& s, const Shape& shape, double scale) {
  LATENT_CHECK(s.numel() == 1, "broadcast: expected a one-element tensor, found shape ",
               s.shape().ToString());
  Tensor y = Tensor::Empty(shape, s.dtype(), s.device());
  Dispatch("broadcast", s,
           LATENT_KERNELS(kernels::BroadcastScalarCpu, kernels::BroadcastScalarCuda),
           [&](auto broadcast, auto zero) {
             using T = decltype(zero);
             broadcast(y.numel(), T(scale), s.data<T>(), y.data<T>());
           });
  return y;
}

namespace {
// The GEMM setting of this thread: see CudaGemmScope.
thread_local CudaGemm current_cuda_gemm = CudaGemm::kLatent;
}  // namespace

CudaGemmScope::CudaGemmScope(CudaGemm gemm) : previous_(current_cuda_gemm) {
  current_cuda_gemm = gemm;
}
CudaGemmScope::~CudaGemmScope() { current_cuda_gemm = previous_; }
CudaGemm CudaGemmScope::Current() { return current_cuda_gemm; }

void GemmInto(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c) {
  CheckNDim("matmul", a, 2, "A");
  CheckNDim("matmul", b, 2, "B");
  CheckNDim("matmul", c, 2, "C");
  CheckSameDevice("matmul", a, b);
  CheckSameDType("matmul", a, b);
  CheckSameDevice("matmul", a, c);
  const int64_t M = trans_a ? a.size(1) : a.size(0);
  const int64_t K = trans_a ? a.size(0) : a.size(1);
  const int64_t Kb = trans_b ? b.size(1) : b.size(0);
  const int64_t N = trans_b ? b.size(0) : b.size(1);
  LATENT_CHECK(K == Kb, "matmul: inner dimensions differ: A", trans_a ? "^T" : "", " is (", M, ", ",
               K, ") and B", trans_b ? "^T" : "", " is (", Kb, ", ", N, ")");
  LATENT_CHECK(c.size(0) == M && c.size(1) == N, "matmul: expected an output of shape (", M, ", ",
               N, "), found ", c.shape().ToString());
  const int64_t lda = a.size(1), ldb = b.size(1), ldc = c.size(1);
  // On a GPU, the GEMM of the CudaGemmScope in force.
  const auto cuda_gemm = [](auto&&... args) {
    if (CudaGemmScope::Current() == CudaGemm::kCublas) {
      kernels::GemmCublas(args...);
    } else {
      kernels::GemmCuda(args...);
    }
  };
  Dispatch("matmul", a,
           Kernels{LATENT_KERNEL(kernels::GemmRefCpu), cuda_gemm, LATENT_KERNEL(kernels::GemmCpu)},
           [&](auto gemm, auto zero) {
             using T = decltype(zero);
             // beta = 0: C is written, never read.
             gemm(trans_a, trans_b, M, N, K, T(1), a.data<T>(), lda, b.data<T>(), ldb, T(0),
                  c.data<T>(), ldc);
           });
}

Tensor Gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b) {
  CheckNDim("matmul", a, 2, "A");
  CheckNDim("matmul", b, 2, "B");
  const int64_t M = trans_a ? a.size(1) : a.size(0);
  const int64_t N = trans_b ? b.size(0) : b.size(1);
  Tensor c = Tensor::Empty({M, N}, a.dtype(), a.device());
  GemmInto(a, trans_a, b, trans_b, c);
  return c;
}

void AddBiasRows(Tensor& y, const Tensor& bias) {
  CheckNDim("bias", y, 2, "output");
  CheckNDim("bias", bias, 1, "bias");
  LATENT_CHECK(bias.size(0) == y.size(1), "bias: expected ", y.size(1), " entries, found ",
               bias.size(0));
  CheckSameDevice("bias", y, bias);
  CheckSameDType("bias", y, bias);
  Dispatch("bias", y, LATENT_KERNELS(kernels::AddBiasRowsCpu, kernels::AddBiasRowsCuda),
           [&](auto add_bias, auto zero) {
             using T = decltype(zero);
             add_bias(y.size(0), y.size(1), bias.data<T>(), y.data<T>());
           });
}

Tensor SumAll(const Tensor& x) {
  Tensor out = Tensor::Empty({}, x.dtype(), x.device());
  Dispatch("sum", x, LATENT_KERNELS(kernels::SumCpu, kernels::SumCuda), [&](auto sum, auto zero) {
    using T = decltype(zero);
    sum(x.numel(), x.data<T>(), out.data<T>());
  });
  return out;
}

Tensor ColumnSum(const Tensor& x) {
  CheckNDim("column sum", x, 2, "input");
  Tensor out = Tensor::Empty({x.size(1)}, x.dtype(), x.device());
  Dispatch("column sum", x, LATENT_KERNELS(kernels::ColumnSumCpu, kernels::ColumnSumCuda),
           [&](auto column_sum, auto zero) {
             using T = decltype(zero);
             column_sum(x.size(0), x.size(1), x.data<T>(), out.data<T>());
           });
  return out;
}

Tensor RowSum(const Tensor& x) {
  LATENT_CHECK(x.ndim() >= 1, "row sum: expected a tensor of at least 1 dimension");
  const int64_t rows = x.size(0), cols = x.shape().row_size();
  Tensor out = Tensor::Empty({rows}, x.dtype(), x.device());
  Dispatch("row sum", x, LATENT_KERNELS(kernels::RowSumCpu, kernels::RowSumCuda),
           [&](auto row_sum, auto zero) {
             using T = decltype(zero);
             row_sum(rows, cols, x.data<T>(), out.data<T>());
           });
  return out;
}

Tensor RowBroadcast(const Tensor& v, const Shape& shape) {
  LATENT_CHECK(shape.ndim() == 2 && v.numel() == shape[0], "row broadcast: expected ", shape[0],
               " values for shape ", shape.ToString(), ", found ", v.numel());
  Tensor y = Tensor::Empty(shape, v.dtype(), v.device());
  Dispatch("row broadcast", v, LATENT_KERNELS(kernels::RowBroadcastCpu, kernels::RowBroadcastCuda),
           [&](auto row_broadcast, auto zero) {
             using T = decltype(zero);
             row_broadcast(shape[0], shape[1], v.data<T>(), y.data<T>());
           });
  return y;
}

Tensor ColumnBroadcast(const Tensor& v, const Shape& shape) {
  LATENT_CHECK(shape.ndim() == 2 && v.numel() == shape[1], "column broadcast: expected ",
               shape[1], " values for shape ", shape.ToString(), ", found ", v.numel());
  Tensor y = Tensor::Empty(shape, v.dtype(), v.device());
  Dispatch("column broadcast", v,
           LATENT_KERNELS(kernels::ColumnBroadcastCpu, kernels::ColumnBroadcastCuda),
           [&](auto column_broadcast, auto zero) {
             using T = decltype(zero);
             column_broadcast(shape[0], shape[1], v.data<T>(), y.data<T>());
           });
  return y;
}

Tensor OneHot(const Tensor& labels, int64_t classes) {
  CheckNDim("one_hot", labels, 1, "labels");
  LATENT_CHECK(labels.dtype() == DType::kI32, "one_hot: expected i32 labels, found ",
               DTypeName(labels.dtype()));
  const int64_t B = labels.size(0);
  if (labels.device().is_cpu()) {  // bounds are checked where the labels can be read cheaply
    for (int64_t b = 0; b < B; ++b) {
      const int32_t label = labels.data<int32_t>()[b];
      LATENT_CHECK(label >= 0 && label < classes, "one_hot: label ", label, " at position ", b,
                   " is outside [0, ", classes, ")");
    }
  }
  Tensor out = Tensor::Empty({B, classes}, DType::kF32, labels.device());
  // Dispatched on the i32 labels; the codes are f32 on every device.
  Dispatch<int32_t>(
      "one_hot", labels, LATENT_KERNELS(kernels::OneHotCpu, kernels::OneHotCuda),
      [&](auto one_hot, auto) { one_hot(B, classes, labels.data<int32_t>(), out.data<float>()); });
  return out;
}

}  // namespace latent::math

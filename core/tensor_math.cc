#include "core/tensor_math.h"

#include <atomic>
#include <type_traits>

#include "core/dispatch.h"
#include "kernels/classify.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"

namespace latent::math {

using kernels::Activation;
using kernels::BinaryOp;

Tensor Unary(Activation act, const Tensor& x, double alpha) {
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch(
      "unary", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::UnaryForwardCpu<T>(act, x.numel(), T(alpha), x.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::UnaryForwardCuda(act, x.numel(), float(alpha), x.data<float>(), y.data<float>());
      });
  return y;
}

Tensor UnaryGrad(Activation act, const Tensor& x, const Tensor& y, const Tensor& dy, double alpha) {
  CheckSameShape("unary backward", x, dy);
  Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch(
      "unary backward", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::UnaryBackwardCpu<T>(act, x.numel(), T(alpha), x.data<T>(), y.data<T>(),
                                     dy.data<T>(), dx.data<T>());
      },
      [&](auto) {
        kernels::UnaryBackwardCuda(act, x.numel(), float(alpha), x.data<float>(), y.data<float>(),
                                   dy.data<float>(), dx.data<float>());
      });
  return dx;
}

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op == BinaryOp::kAdd ? "add" : op == BinaryOp::kSub ? "sub" : "mul";
  CheckSameDevice(name, a, b);
  CheckSameDType(name, a, b);
  CheckSameShape(name, a, b);
  Tensor c = Tensor::Empty(a.shape(), a.dtype(), a.device());
  Dispatch(
      name, a,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::BinaryCpu<T>(op, a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
      },
      [&](auto) {
        kernels::BinaryCuda(op, a.numel(), a.data<float>(), b.data<float>(), c.data<float>());
      });
  return c;
}

void Axpby(double a, const Tensor& x, double b, Tensor& y) {
  CheckSameDevice("axpby", x, y);
  CheckSameDType("axpby", x, y);
  LATENT_CHECK(x.numel() == y.numel(), "axpby: expected ", y.numel(), " elements, found ",
               x.numel());
  Dispatch(
      "axpby", y,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::AxpbyCpu<T>(y.numel(), T(a), x.data<T>(), T(b), y.data<T>());
      },
      [&](auto) { kernels::AxpbyCuda(y.numel(), float(a), x.data<float>(), float(b), y.data<float>()); });
}

void AddInPlace(Tensor& dst, const Tensor& src) {
  CheckSameShape("add_", dst, src);
  Axpby(1.0, src, 1.0, dst);
}

Tensor BroadcastScalar(const Tensor& s, const Shape& shape, double scale) {
  LATENT_CHECK(s.numel() == 1, "broadcast: expected a one-element tensor, found shape ",
               s.shape().ToString());
  Tensor y = Tensor::Empty(shape, s.dtype(), s.device());
  Dispatch(
      "broadcast", s,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::BroadcastScalarCpu<T>(y.numel(), T(scale), s.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::BroadcastScalarCuda(y.numel(), float(scale), s.data<float>(), y.data<float>());
      });
  return y;
}

namespace {
std::atomic<CudaGemm> cuda_gemm{CudaGemm::kLatent};
}  // namespace

void SetCudaGemm(CudaGemm which) { cuda_gemm = which; }
CudaGemm GetCudaGemm() { return cuda_gemm; }

void GemmInto(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b, Tensor& c,
              bool accumulate) {
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
  Dispatch(
      "matmul", a,
      [&](auto zero) {
        using T = decltype(zero);
        const T beta = accumulate ? T(1) : T(0);
        if constexpr (std::is_same_v<T, float>) {
          kernels::GemmCpu(trans_a, trans_b, M, N, K, 1.0f, a.data<float>(), lda, b.data<float>(),
                           ldb, beta, c.data<float>(), ldc);
        } else {
          kernels::GemmRefCpu<T>(trans_a, trans_b, M, N, K, T(1), a.data<T>(), lda, b.data<T>(),
                                 ldb, beta, c.data<T>(), ldc);
        }
      },
      [&](auto) {
        auto gemm = GetCudaGemm() == CudaGemm::kCublas ? kernels::GemmCublas : kernels::GemmCuda;
        gemm(trans_a, trans_b, M, N, K, 1.0f, a.data<float>(), lda, b.data<float>(), ldb,
             accumulate ? 1.0f : 0.0f, c.data<float>(), ldc);
      });
}

Tensor Gemm(const Tensor& a, bool trans_a, const Tensor& b, bool trans_b) {
  CheckNDim("matmul", a, 2, "A");
  CheckNDim("matmul", b, 2, "B");
  const int64_t M = trans_a ? a.size(1) : a.size(0);
  const int64_t N = trans_b ? b.size(0) : b.size(1);
  Tensor c = Tensor::Empty({M, N}, a.dtype(), a.device());
  GemmInto(a, trans_a, b, trans_b, c, /*accumulate=*/false);
  return c;
}

void AddBiasRows(Tensor& y, const Tensor& bias) {
  CheckNDim("bias", y, 2, "output");
  CheckNDim("bias", bias, 1, "bias");
  LATENT_CHECK(bias.size(0) == y.size(1), "bias: expected ", y.size(1), " entries, found ",
               bias.size(0));
  CheckSameDevice("bias", y, bias);
  CheckSameDType("bias", y, bias);
  Dispatch(
      "bias", y,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::AddBiasRowsCpu<T>(y.size(0), y.size(1), bias.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::AddBiasRowsCuda(y.size(0), y.size(1), bias.data<float>(), y.data<float>());
      });
}

Tensor SumAll(const Tensor& x) {
  Tensor out = Tensor::Empty({}, x.dtype(), x.device());
  Dispatch(
      "sum", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::SumCpu<T>(x.numel(), x.data<T>(), out.data<T>());
      },
      [&](auto) { kernels::SumCuda(x.numel(), x.data<float>(), out.data<float>()); });
  return out;
}

Tensor ColumnSum(const Tensor& x) {
  CheckNDim("column sum", x, 2, "input");
  Tensor out = Tensor::Empty({x.size(1)}, x.dtype(), x.device());
  Dispatch(
      "column sum", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::ColumnSumCpu<T>(x.size(0), x.size(1), x.data<T>(), out.data<T>());
      },
      [&](auto) {
        kernels::ColumnSumCuda(x.size(0), x.size(1), x.data<float>(), out.data<float>());
      });
  return out;
}

Tensor RowSum(const Tensor& x) {
  LATENT_CHECK(x.ndim() >= 1, "row sum: expected a tensor of at least 1 dimension");
  const int64_t rows = x.size(0), cols = x.shape().row_size();
  Tensor out = Tensor::Empty({rows}, x.dtype(), x.device());
  Dispatch(
      "row sum", x,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::RowSumCpu<T>(rows, cols, x.data<T>(), out.data<T>());
      },
      [&](auto) { kernels::RowSumCuda(rows, cols, x.data<float>(), out.data<float>()); });
  return out;
}

Tensor RowBroadcast(const Tensor& v, const Shape& shape) {
  LATENT_CHECK(shape.ndim() == 2 && v.numel() == shape[0], "row broadcast: expected ", shape[0],
               " values for shape ", shape.ToString(), ", found ", v.numel());
  Tensor y = Tensor::Empty(shape, v.dtype(), v.device());
  Dispatch(
      "row broadcast", v,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::RowBroadcastCpu<T>(shape[0], shape[1], v.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::RowBroadcastCuda(shape[0], shape[1], v.data<float>(), y.data<float>());
      });
  return y;
}

Tensor ColumnBroadcast(const Tensor& v, const Shape& shape) {
  LATENT_CHECK(shape.ndim() == 2 && v.numel() == shape[1], "column broadcast: expected ",
               shape[1], " values for shape ", shape.ToString(), ", found ", v.numel());
  Tensor y = Tensor::Empty(shape, v.dtype(), v.device());
  Dispatch(
      "column broadcast", v,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::ColumnBroadcastCpu<T>(shape[0], shape[1], v.data<T>(), y.data<T>());
      },
      [&](auto) {
        kernels::ColumnBroadcastCuda(shape[0], shape[1], v.data<float>(), y.data<float>());
      });
  return y;
}

Tensor OneHot(const Tensor& labels, int64_t classes) {
  CheckNDim("one_hot", labels, 1, "labels");
  LATENT_CHECK(labels.dtype() == DType::kI32, "one_hot: expected i32 labels, found ",
               DTypeName(labels.dtype()));
  const int64_t B = labels.size(0);
  if (labels.device().is_cpu()) {
    for (int64_t b = 0; b < B; ++b) {
      const int32_t label = labels.data<int32_t>()[b];
      LATENT_CHECK(label >= 0 && label < classes, "one_hot: label ", label, " at position ", b,
                   " is outside [0, ", classes, ")");
    }
  }
  Tensor out = Tensor::Empty({B, classes}, DType::kF32, labels.device());
  if (labels.device().is_cpu()) {
    kernels::OneHotCpu<float>(B, classes, labels.data<int32_t>(), out.data<float>());
  } else {
#ifdef LATENT_WITH_CUDA
    CudaSetDevice(labels.device().index);
    kernels::OneHotCuda(B, classes, labels.data<int32_t>(), out.data<float>());
#endif
  }
  return out;
}

}  // namespace latent::math

// Reductions: to a scalar (sum, mean) and along one axis of a matrix (row_sum, column_sum,
// row_log_sum_exp), and the adjoint of the first, the broadcast of one element to a shape.
// Reductions to a scalar: d(sum x)/dx_i = 1 and d(mean x)/dx_i = 1/n: the backward broadcasts the
// scalar upstream gradient (read on the device, no host round trip) over x's shape.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "core/tensor_math.h"
#include "kernels/classify.h"

namespace latent {

namespace {
Tensor ReduceWithGrad(OpKind kind, const Tensor& x, double scale) {
  CheckDefined(OpName(kind), x, "input");
  CheckFloat(OpName(kind), x);
  Tensor s = math::SumAll(x);
  if (scale != 1.0) s = math::Unary(kernels::Activation::kScale, s, scale);
  Record(kind, {x}, {&s}, [shape = x.shape(), scale](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{math::BroadcastScalar(g[0], shape, scale)};
  });
  return s;
}
}  // namespace

Tensor Sum(const Tensor& x) { return ReduceWithGrad(OpKind::kSum, x, 1.0); }

Tensor Mean(const Tensor& x) {
  LATENT_CHECK(x.numel() > 0, "mean of an empty tensor");
  return ReduceWithGrad(OpKind::kMean, x, 1.0 / static_cast<double>(x.numel()));
}

// Each output element is x itself, so dx = sum_i dy_i: the adjoint of Sum.
Tensor Broadcast(const Tensor& x, const Shape& shape) {
  CheckDefined("broadcast", x, "input");
  CheckFloat("broadcast", x);
  Tensor y = math::BroadcastScalar(x, shape, 1.0);
  Record(OpKind::kBroadcast, {x}, {&y}, [x_shape = x.shape()](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{math::SumAll(g[0]).View(x_shape)};
  });
  return y;
}

Tensor RowSum(const Tensor& x) {
  CheckNDim("row_sum", x, 2, "input");
  CheckFloat("row_sum", x);
  Tensor s = math::RowSum(x);  // (R)
  Record(OpKind::kRowSum, {x}, {&s}, [shape = x.shape()](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{math::RowBroadcast(g[0], shape)};  // dx[r, c] = ds[r]
  });
  return s;
}

Tensor ColumnSum(const Tensor& x) {
  CheckNDim("column_sum", x, 2, "input");
  CheckFloat("column_sum", x);
  Tensor s = math::ColumnSum(x);  // (C)
  Record(OpKind::kColumnSum, {x}, {&s}, [shape = x.shape()](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{math::ColumnBroadcast(g[0], shape)};  // dx[r, c] = ds[c]
  });
  return s;
}

// The kernels (the log-sum-exp of kernels/classify.h, which the cross-entropy shares) shift each
// row by its max so exp cannot overflow; the shift cancels in the result, so it has no derivative,
// and dx[r, c] = dy_r softmax(x[r])_c, recomputed from x in the backward.
Tensor RowLogSumExp(const Tensor& x) {
  CheckNDim("row_log_sum_exp", x, 2, "input");
  CheckFloat("row_log_sum_exp", x);
  const int64_t R = x.size(0), C = x.size(1);
  LATENT_CHECK(C >= 1, "row_log_sum_exp: expected at least one column, found a (", R,
               ", 0) matrix");
  Tensor y = Tensor::Empty({R}, x.dtype(), x.device());
  Dispatch("row_log_sum_exp", x,
           LATENT_KERNELS(kernels::RowLogSumExpForwardCpu, kernels::RowLogSumExpForwardCuda),
           [&](auto log_sum_exp, auto zero) {
             using T = decltype(zero);
             log_sum_exp(R, C, x.data<T>(), y.data<T>());
           });
  Record(OpKind::kRowLogSumExp, {x}, {&y}, [x = Detach(x), R, C](const std::vector<Tensor>& g) {
    const Tensor& dy = g[0];  // (R)
    Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
    Dispatch("row_log_sum_exp backward", x,
             LATENT_KERNELS(kernels::RowLogSumExpBackwardCpu, kernels::RowLogSumExpBackwardCuda),
             [&](auto log_sum_exp_backward, auto zero) {
               using T = decltype(zero);
               log_sum_exp_backward(R, C, x.data<T>(), dy.data<T>(), dx.data<T>());
             });
    return std::vector<Tensor>{dx};
  });
  return y;
}

}  // namespace latent

// Reductions: to a scalar (sum, mean) and along one axis of a matrix (row_sum, column_sum), and
// their adjoint, the broadcast of one element to a shape.
// Reductions to a scalar: d(sum x)/dx_i = 1 and d(mean x)/dx_i = 1/n: the backward broadcasts the
// scalar upstream gradient (read on the device, no host round trip) over x's shape.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor_math.h"

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

}  // namespace latent

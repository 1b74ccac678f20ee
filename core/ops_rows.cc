// Moving elements: reshape (a view; its gradient is the upstream one viewed back), concat (the
// CVAE joins a one-hot label to its inputs) and row gather (minibatches). Concat's backward splits
// the gradient; gather's scatters it back, adding where an index repeats.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/rows.h"

namespace latent {

Tensor Reshape(const Tensor& x, const Shape& shape) {
  CheckDefined("reshape", x, "input");
  Tensor y = x.View(shape);
  Record(OpKind::kReshape, {x}, {&y}, [in_shape = x.shape()](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{g[0].View(in_shape)};
  });
  return y;
}

Tensor Concat(const Tensor& a, const Tensor& b) {
  CheckNDim("concat", a, 2, "first input");
  CheckNDim("concat", b, 2, "second input");
  CheckSameDevice("concat", a, b);
  CheckSameDType("concat", a, b);
  LATENT_CHECK(a.size(0) == b.size(0), "concat: row counts differ: ", a.size(0), " and ",
               b.size(0));
  const int64_t B = a.size(0), Da = a.size(1), Db = b.size(1);
  Tensor out = Tensor::Empty({B, Da + Db}, a.dtype(), a.device());
  Dispatch("concat", a, LATENT_KERNELS(kernels::ConcatColsCpu, kernels::ConcatColsCuda),
           [&](auto concat, auto zero) {
             using T = decltype(zero);
             concat(B, Da, Db, a.data<T>(), b.data<T>(), out.data<T>());
           });
  Record(OpKind::kConcat, {a, b}, {&out},
         [B, Da, Db, ga = a.requires_grad(), gb = b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (B, Da + Db)
           Tensor da = ga ? Tensor::Empty({B, Da}, dout.dtype(), dout.device()) : Tensor();
           Tensor db = gb ? Tensor::Empty({B, Db}, dout.dtype(), dout.device()) : Tensor();
           Dispatch("concat backward", dout,
                    LATENT_KERNELS(kernels::SplitColsCpu, kernels::SplitColsCuda),
                    [&](auto split, auto zero) {
                      using T = decltype(zero);
                      split(B, Da, Db, dout.data<T>(), ga ? da.data<T>() : nullptr,
                            gb ? db.data<T>() : nullptr);
                    });
           return std::vector<Tensor>{da, db};
         });
  return out;
}

Tensor GatherRows(const Tensor& x, const Tensor& index) {
  CheckDefined("gather", x, "input");
  CheckNDim("gather", index, 1, "index");
  LATENT_CHECK(index.dtype() == DType::kI32, "gather: expected an i32 index, found ",
               DTypeName(index.dtype()));
  CheckSameDevice("gather", x, index);
  LATENT_CHECK(x.ndim() >= 1, "gather: input must have at least one dimension");
  const int64_t B = index.size(0), N = x.size(0), D = x.shape().row_size();
  if (x.device().is_cpu()) {  // bounds are checked where the indices can be read cheaply
    const int32_t* idx = index.data<int32_t>();
    for (int64_t b = 0; b < B; ++b)
      LATENT_CHECK(idx[b] >= 0 && idx[b] < N, "gather: index ", idx[b], " at position ", b,
                   " is out of range for ", N, " rows");
  }
  Shape out_shape = x.shape();
  out_shape[0] = B;
  Tensor out = Tensor::Empty(out_shape, x.dtype(), x.device());
  // i32 rows are labels: gathered like the rest, and left out of the graph by Record, since an
  // i32 tensor never requires a gradient.
  Dispatch<float, double, int32_t>(
      "gather", x, LATENT_KERNELS(kernels::GatherRowsCpu, kernels::GatherRowsCuda),
      [&](auto gather, auto zero) {
        using T = decltype(zero);
        gather(B, D, index.data<int32_t>(), x.data<T>(), out.data<T>());
      });
  Record(OpKind::kGatherRows, {x}, {&out},
         [index, x_shape = x.shape(), B, N, D](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (B, D)
           Tensor dx = Tensor::Zeros(x_shape, dout.dtype(), dout.device());
           Dispatch("gather backward", dout,
                    LATENT_KERNELS(kernels::ScatterAddRowsCpu, kernels::ScatterAddRowsCuda),
                    [&](auto scatter_add, auto zero) {
                      using T = decltype(zero);
                      scatter_add(B, N, D, index.data<int32_t>(), dout.data<T>(), dx.data<T>());
                    });
           return std::vector<Tensor>{dx};
         });
  return out;
}

}  // namespace latent

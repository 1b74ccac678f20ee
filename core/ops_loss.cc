// Reconstruction losses per row (kernels/loss.h has the formulas). The upstream gradient is per
// row (B); the kernels scale each row's elementwise derivative by it.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/loss.h"

namespace latent {

namespace {
void CheckLossInputs(const char* op, const Tensor& a, const Tensor& b) {
  CheckDefined(op, a, "first input");
  CheckDefined(op, b, "second input");
  CheckSameDevice(op, a, b);
  CheckSameDType(op, a, b);
  CheckSameShape(op, a, b);
  CheckFloat(op, a);
  LATENT_CHECK(a.ndim() >= 1, op, ": expected a (B, ...) tensor, found a scalar");
}
}  // namespace

Tensor BceWithLogits(const Tensor& logits, const Tensor& target) {
  CheckLossInputs("bce_with_logits", logits, target);
  const int64_t rows = logits.size(0), cols = logits.shape().row_size();
  Tensor out = Tensor::Empty({rows}, logits.dtype(), logits.device());
  Dispatch(
      "bce_with_logits", logits,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::BceWithLogitsForwardCpu<T>(rows, cols, logits.data<T>(), target.data<T>(),
                                            out.data<T>());
      },
      [&](auto) {
        kernels::BceWithLogitsForwardCuda(rows, cols, logits.data<float>(), target.data<float>(),
                                          out.data<float>());
      });
  Record(OpKind::kBceWithLogits, {logits, target}, {&out},
         [x = Detach(logits), t = Detach(target), rows, cols,
          gt = target.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (rows)
           Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
           Tensor dt = gt ? Tensor::Empty(t.shape(), t.dtype(), t.device()) : Tensor();
           Dispatch(
               "bce_with_logits backward", x,
               [&](auto zero) {
                 using T = decltype(zero);
                 kernels::BceWithLogitsBackwardCpu<T>(rows, cols, x.data<T>(), t.data<T>(),
                                                      dout.data<T>(), dx.data<T>(),
                                                      gt ? dt.data<T>() : nullptr);
               },
               [&](auto) {
                 kernels::BceWithLogitsBackwardCuda(rows, cols, x.data<float>(), t.data<float>(),
                                                    dout.data<float>(), dx.data<float>(),
                                                    gt ? dt.data<float>() : nullptr);
               });
           return std::vector<Tensor>{dx, dt};
         });
  return out;
}

Tensor Mse(const Tensor& a, const Tensor& b) {
  CheckLossInputs("mse", a, b);
  const int64_t rows = a.size(0), cols = a.shape().row_size();
  Tensor out = Tensor::Empty({rows}, a.dtype(), a.device());
  Dispatch(
      "mse", a,
      [&](auto zero) {
        using T = decltype(zero);
        kernels::MseForwardCpu<T>(rows, cols, a.data<T>(), b.data<T>(), out.data<T>());
      },
      [&](auto) {
        kernels::MseForwardCuda(rows, cols, a.data<float>(), b.data<float>(), out.data<float>());
      });
  Record(OpKind::kMse, {a, b}, {&out},
         [a = Detach(a), b = Detach(b), rows, cols, ga = a.requires_grad(),
          gb = b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (rows)
           Tensor da = ga ? Tensor::Empty(a.shape(), a.dtype(), a.device()) : Tensor();
           Tensor db = gb ? Tensor::Empty(b.shape(), b.dtype(), b.device()) : Tensor();
           Dispatch(
               "mse backward", a,
               [&](auto zero) {
                 using T = decltype(zero);
                 kernels::MseBackwardCpu<T>(rows, cols, a.data<T>(), b.data<T>(), dout.data<T>(),
                                            ga ? da.data<T>() : nullptr,
                                            gb ? db.data<T>() : nullptr);
               },
               [&](auto) {
                 kernels::MseBackwardCuda(rows, cols, a.data<float>(), b.data<float>(),
                                          dout.data<float>(), ga ? da.data<float>() : nullptr,
                                          gb ? db.data<float>() : nullptr);
               });
           return std::vector<Tensor>{da, db};
         });
  return out;
}

}  // namespace latent

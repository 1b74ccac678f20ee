// Per-row losses: reconstruction (kernels/loss.h) and classification (kernels/classify.h). The
// upstream gradient is per row (B); the kernels scale each row's elementwise derivative by it.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "kernels/classify.h"
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
  Dispatch("bce_with_logits", logits,
           LATENT_KERNELS(kernels::BceWithLogitsForwardCpu, kernels::BceWithLogitsForwardCuda),
           [&](auto bce, auto zero) {
             using T = decltype(zero);
             bce(rows, cols, logits.data<T>(), target.data<T>(), out.data<T>());
           });
  Record(OpKind::kBceWithLogits, {logits, target}, {&out},
         [x = Detach(logits), t = Detach(target), rows, cols,
          gt = target.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (rows)
           Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
           Tensor dt = gt ? Tensor::Empty(t.shape(), t.dtype(), t.device()) : Tensor();
           Dispatch("bce_with_logits backward", x,
                    LATENT_KERNELS(kernels::BceWithLogitsBackwardCpu,
                                   kernels::BceWithLogitsBackwardCuda),
                    [&](auto bce_backward, auto zero) {
                      using T = decltype(zero);
                      bce_backward(rows, cols, x.data<T>(), t.data<T>(), dout.data<T>(),
                                   dx.data<T>(), gt ? dt.data<T>() : nullptr);
                    });
           return std::vector<Tensor>{dx, dt};
         });
  return out;
}

Tensor Mse(const Tensor& a, const Tensor& b) {
  CheckLossInputs("mse", a, b);
  const int64_t rows = a.size(0), cols = a.shape().row_size();
  Tensor out = Tensor::Empty({rows}, a.dtype(), a.device());
  Dispatch("mse", a, LATENT_KERNELS(kernels::MseForwardCpu, kernels::MseForwardCuda),
           [&](auto mse, auto zero) {
             using T = decltype(zero);
             mse(rows, cols, a.data<T>(), b.data<T>(), out.data<T>());
           });
  Record(OpKind::kMse, {a, b}, {&out},
         [a = Detach(a), b = Detach(b), rows, cols, ga = a.requires_grad(),
          gb = b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (rows)
           Tensor da = ga ? Tensor::Empty(a.shape(), a.dtype(), a.device()) : Tensor();
           Tensor db = gb ? Tensor::Empty(b.shape(), b.dtype(), b.device()) : Tensor();
           Dispatch("mse backward", a,
                    LATENT_KERNELS(kernels::MseBackwardCpu, kernels::MseBackwardCuda),
                    [&](auto mse_backward, auto zero) {
                      using T = decltype(zero);
                      mse_backward(rows, cols, a.data<T>(), b.data<T>(), dout.data<T>(),
                                   ga ? da.data<T>() : nullptr, gb ? db.data<T>() : nullptr);
                    });
           return std::vector<Tensor>{da, db};
         });
  return out;
}

Tensor SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels) {
  CheckNDim("softmax_cross_entropy", logits, 2, "logits");
  CheckNDim("softmax_cross_entropy", labels, 1, "labels");
  CheckFloat("softmax_cross_entropy", logits);
  CheckSameDevice("softmax_cross_entropy", logits, labels);
  LATENT_CHECK(labels.dtype() == DType::kI32, "softmax_cross_entropy: expected i32 labels, found ",
               DTypeName(labels.dtype()));
  const int64_t B = logits.size(0), C = logits.size(1);
  LATENT_CHECK(labels.size(0) == B, "softmax_cross_entropy: ", B, " rows of logits but ",
               labels.size(0), " labels");
  if (labels.device().is_cpu()) {
    for (int64_t b = 0; b < B; ++b) {
      const int32_t y = labels.data<int32_t>()[b];
      LATENT_CHECK(y >= 0 && y < C, "softmax_cross_entropy: label ", y, " at position ", b,
                   " is outside [0, ", C, ")");
    }
  }
  Tensor out = Tensor::Empty({B}, logits.dtype(), logits.device());
  Dispatch("softmax_cross_entropy", logits,
           LATENT_KERNELS(kernels::SoftmaxCrossEntropyForwardCpu,
                          kernels::SoftmaxCrossEntropyForwardCuda),
           [&](auto cross_entropy, auto zero) {
             using T = decltype(zero);
             cross_entropy(B, C, logits.data<T>(), labels.data<int32_t>(), out.data<T>());
           });
  Record(OpKind::kSoftmaxCrossEntropy, {logits}, {&out},
         [x = Detach(logits), labels, B, C](const std::vector<Tensor>& g) {
           const Tensor& dout = g[0];  // (B)
           Tensor dx = Tensor::Empty(x.shape(), x.dtype(), x.device());
           Dispatch("softmax_cross_entropy backward", x,
                    LATENT_KERNELS(kernels::SoftmaxCrossEntropyBackwardCpu,
                                   kernels::SoftmaxCrossEntropyBackwardCuda),
                    [&](auto cross_entropy_backward, auto zero) {
                      using T = decltype(zero);
                      cross_entropy_backward(B, C, x.data<T>(), labels.data<int32_t>(),
                                             dout.data<T>(), dx.data<T>());
                    });
           return std::vector<Tensor>{dx};
         });
  return out;
}

}  // namespace latent

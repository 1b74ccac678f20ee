// Elementwise ops. Their derivatives live in the kernels (kernels/cpu/elementwise.cc) and, as
// formulas, in the op table.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "core/tensor_math.h"

namespace latent {

using kernels::BinaryOp;

Tensor Add(const Tensor& a, const Tensor& b) {
  Tensor c = math::Binary(BinaryOp::kAdd, a, b);
  Record(OpKind::kAdd, {a, b}, {&c}, [](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{g[0], g[0]};  // d(a+b)/da = d(a+b)/db = 1
  });
  return c;
}

Tensor Sub(const Tensor& a, const Tensor& b) {
  Tensor c = math::Binary(BinaryOp::kSub, a, b);
  Record(OpKind::kSub, {a, b}, {&c}, [](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{g[0], math::Unary(Activation::kScale, g[0], -1.0)};
  });
  return c;
}

Tensor Mul(const Tensor& a, const Tensor& b) {
  Tensor c = math::Binary(BinaryOp::kMul, a, b);
  Record(OpKind::kMul, {a, b}, {&c},
         [a = Detach(a), b = Detach(b), ga = a.requires_grad(),
          gb = b.requires_grad()](const std::vector<Tensor>& g) {
           return std::vector<Tensor>{ga ? math::Binary(BinaryOp::kMul, g[0], b) : Tensor(),
                                      gb ? math::Binary(BinaryOp::kMul, g[0], a) : Tensor()};
         });
  return c;
}

namespace {

// y = f(x) for the activations; the kernel's backward computes dy * f'(x) from x or y.
Tensor ActivationWithGrad(Activation act, const Tensor& x, double alpha = 0.0) {
  const OpKind kind = OpKindOf(act);
  CheckDefined(OpName(kind), x, "input");
  CheckFloat(OpName(kind), x);
  Tensor y = math::Unary(act, x, alpha);
  Record(kind, {x}, {&y}, [act, alpha, x = Detach(x), y = Detach(y)](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{math::UnaryGrad(act, x, y, g[0], alpha)};
  });
  return y;
}

}  // namespace

Tensor Scale(const Tensor& x, double f) { return ActivationWithGrad(Activation::kScale, x, f); }
Tensor Relu(const Tensor& x) { return ActivationWithGrad(Activation::kRelu, x); }
Tensor LeakyRelu(const Tensor& x, double slope) {
  return ActivationWithGrad(Activation::kLeakyRelu, x, slope);
}
Tensor Sigmoid(const Tensor& x) { return ActivationWithGrad(Activation::kSigmoid, x); }
Tensor Tanh(const Tensor& x) { return ActivationWithGrad(Activation::kTanh, x); }
Tensor Softplus(const Tensor& x) { return ActivationWithGrad(Activation::kSoftplus, x); }
Tensor Exp(const Tensor& x) { return ActivationWithGrad(Activation::kExp, x); }
Tensor Log(const Tensor& x) { return ActivationWithGrad(Activation::kLog, x); }
Tensor Square(const Tensor& x) { return ActivationWithGrad(Activation::kSquare, x); }
Tensor Abs(const Tensor& x) { return ActivationWithGrad(Activation::kAbs, x); }
Tensor AddScalar(const Tensor& x, double c) {
  return ActivationWithGrad(Activation::kAddScalar, x, c);
}

namespace {
Tensor ApplyDropout(const Tensor& x, double p, uint64_t seed, uint64_t offset) {
  Tensor y = Tensor::Empty(x.shape(), x.dtype(), x.device());
  Dispatch("dropout", x, LATENT_KERNELS(kernels::DropoutCpu, kernels::DropoutCuda),
           [&](auto dropout, auto zero) {
             using T = decltype(zero);
             dropout(x.numel(), T(p), seed, offset, x.data<T>(), y.data<T>());
           });
  return y;
}
}  // namespace

Tensor Dropout(const Tensor& x, double p, uint64_t seed, uint64_t offset) {
  LATENT_CHECK(p >= 0.0 && p < 1.0, "dropout: expected a probability in [0, 1), found ", p);
  CheckFloat("dropout", x);
  if (p == 0.0) return x;
  Tensor y = ApplyDropout(x, p, seed, offset);
  // The backward is the same masked scaling applied to dy: the mask comes from the counter.
  Record(OpKind::kDropout, {x}, {&y}, [p, seed, offset](const std::vector<Tensor>& g) {
    return std::vector<Tensor>{ApplyDropout(g[0], p, seed, offset)};
  });
  return y;
}

}  // namespace latent

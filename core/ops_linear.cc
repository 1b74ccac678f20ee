// Matrix products. For C = A B with upstream gradient dC:  dA = dC B^T,  dB = A^T dC.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor_math.h"

namespace latent {

Tensor Matmul(const Tensor& a, const Tensor& b) {
  Tensor c = math::Gemm(a, false, b, false);  // a: (M, K), b: (K, N), c: (M, N)
  Record(OpKind::kMatmul, {a, b}, {&c},
         [a = Detach(a), b = Detach(b), ga = a.requires_grad(),
          gb = b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dc = g[0];
           return std::vector<Tensor>{ga ? math::Gemm(dc, false, b, true) : Tensor(),
                                      gb ? math::Gemm(a, true, dc, false) : Tensor()};
         });
  return c;
}

Tensor Linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  CheckNDim("linear", x, 2, "input");
  CheckNDim("linear", w, 2, "weight");
  LATENT_CHECK(x.size(1) == w.size(1), "linear: input has ", x.size(1),
               " features but the weight expects ", w.size(1), " (weight shape ",
               w.shape().ToString(), ")");
  Tensor y = math::Gemm(x, false, w, true);  // x: (B, in), w: (out, in), y: (B, out)
  if (b.defined()) math::AddBiasRows(y, b);
  Record(OpKind::kLinear, {x, w, b}, {&y},
         [x = Detach(x), w = Detach(w), gx = x.requires_grad(), gw = w.requires_grad(),
          gb = b.defined() && b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dy = g[0];  // (B, out)
           return std::vector<Tensor>{
               gx ? math::Gemm(dy, false, w, false) : Tensor(),  // dx = dy W:     (B, in)
               gw ? math::Gemm(dy, true, x, false) : Tensor(),   // dW = dy^T x:   (out, in)
               gb ? math::ColumnSum(dy) : Tensor()};             // db = sum_b dy: (out)
         });
  return y;
}

}  // namespace latent

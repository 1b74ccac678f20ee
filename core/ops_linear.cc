// Matrix products. For C = A B with upstream gradient dC:  dA = dC B^T,  dB = A^T dC.
//
// Linear and LinearAct run their forward pass as one fused kernel, y = act(x W^T + b)
// (kernels/gemm.h), with the identity for Linear: the bias and the activation are applied to each
// output tile as the GEMM writes it, not in passes of their own.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "core/tensor_math.h"
#include "kernels/gemm.h"

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

namespace {

// On a GPU, C = act(A B^T + bias) by the GEMM of the CudaGemmScope in force (core/tensor_math.h):
// ours, with the bias and the activation in its epilogue, or cuBLAS, the baseline, which has no
// epilogue here, so the GEMM, the bias and the activation run one by one (C contiguous: ldc = N).
// A template for the reason a family's CUDA kernel is a generic lambda (core/dispatch.h): a build
// without CUDA never instantiates it, so it references no CUDA symbol.
template <typename T>
void GemmBiasActOnGpu(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B,
                      int64_t ldb, const T* bias, Activation act, T* C, int64_t ldc) {
  if (math::CudaGemmScope::Current() == math::CudaGemm::kLatent) {
    kernels::GemmBiasActCuda(M, N, K, A, lda, B, ldb, bias, act, C, ldc);
    return;
  }
  kernels::GemmCublas(false, true, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  if (bias != nullptr) kernels::AddBiasRowsCuda(M, N, bias, C);
  if (act != Activation::kIdentity)
    kernels::UnaryForwardCuda(act, M * N, 0.0f, C, C);
}

// y = act(x W^T + b);  x: (B, in), w: (out, in), b: (out) or undefined, y: (B, out).
Tensor LinearForward(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                     Activation act) {
  CheckNDim(op, x, 2, "input");
  CheckNDim(op, w, 2, "weight");
  LATENT_CHECK(x.size(1) == w.size(1), op, ": input has ", x.size(1),
               " features but the weight expects ", w.size(1), " (weight shape ",
               w.shape().ToString(), ")");
  CheckSameDevice(op, x, w);
  CheckSameDType(op, x, w);
  if (b.defined()) {
    CheckNDim(op, b, 1, "bias");
    LATENT_CHECK(b.size(0) == w.size(0), op, ": the weight has ", w.size(0),
                 " outputs but the bias has ", b.size(0), " entries (bias shape ",
                 b.shape().ToString(), ")");
    CheckSameDevice(op, x, b);
    CheckSameDType(op, x, b);
  }
  const int64_t B = x.size(0), in = x.size(1), out = w.size(0);
  Tensor y = Tensor::Empty({B, out}, x.dtype(), x.device());
  // "matmul", the NVTX range every GEMM runs in (docs/profiling.md): Nsight filters on it.
  Dispatch("matmul", x,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::GemmBiasActRefCpu, GemmBiasActOnGpu,
                                        kernels::GemmBiasActCpu),
           [&](auto gemm_bias_act, auto zero) {
             using T = decltype(zero);
             const T* bias = b.defined() ? b.data<T>() : nullptr;
             gemm_bias_act(B, out, in, x.data<T>(), in, w.data<T>(), in, bias, act, y.data<T>(),
                           out);
           });
  return y;
}

// dW = dz^T x: (out, in). Written by the GEMM straight into the weight's gradient buffer when
// the engine offers it (GradientDestination: the weight's first gradient since ZeroGrad), which
// saves a pass that would copy 1.25 MB per layer of the vae.
Tensor WeightGrad(const Tensor& dz, const Tensor& x) {
  Tensor dw = GradientDestination(1);
  if (!dw.defined()) return math::Gemm(dz, true, x, false);
  math::GemmInto(dz, true, x, false, dw);
  return dw;
}

// The gradients of x, W and b from dz, the gradient of z = x W^T + b: Linear's backward.
std::vector<Tensor> LinearGrads(const Tensor& x, const Tensor& w, const Tensor& dz, bool gx,
                                bool gw, bool gb) {
  // x: (B, in), w: (out, in), dz: (B, out)
  return {gx ? math::Gemm(dz, false, w, false) : Tensor(),  // dx = dz W:     (B, in)
          gw ? WeightGrad(dz, x) : Tensor(),                // dW = dz^T x:   (out, in)
          gb ? math::ColumnSum(dz) : Tensor()};             // db = sum_b dz: (out)
}

}  // namespace

Tensor Linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor y = LinearForward("linear", x, w, b, Activation::kIdentity);
  Record(OpKind::kLinear, {x, w, b}, {&y},
         [x = Detach(x), w = Detach(w), gx = x.requires_grad(), gw = w.requires_grad(),
          gb = b.defined() && b.requires_grad()](const std::vector<Tensor>& g) {
           return LinearGrads(x, w, g[0], gx, gw, gb);
         });
  return y;
}

Tensor LinearAct(const Tensor& x, const Tensor& w, const Tensor& b, Activation act) {
  Tensor y = LinearForward("linear_act", x, w, b, act);
  // Backward needs act'(z) at the pre-activation z = x W^T + b, which is not kept: both
  // derivatives are functions of the output. relu: [z > 0] = [y > 0], so y stands in for z in
  // the relu kernel's `x > 0`; sigmoid: y (1 - y), which the sigmoid kernel reads from y. Both
  // are the very kernels Relu and Sigmoid use, so the gradients equal the unfused ops' bit for bit.
  Record(OpKind::kLinearAct, {x, w, b}, {&y},
         [x = Detach(x), w = Detach(w), y = Detach(y), act, gx = x.requires_grad(),
          gw = w.requires_grad(), gb = b.defined() && b.requires_grad()](
             const std::vector<Tensor>& g) {
           const Tensor& dy = g[0];  // (B, out)
           const Tensor dz = act == Activation::kIdentity ? dy : math::UnaryGrad(act, y, y, dy);
           return LinearGrads(x, w, dz, gx, gw, gb);
         });
  return y;
}

}  // namespace latent

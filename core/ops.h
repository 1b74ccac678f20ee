// The differentiable ops. Each records its backward pass (core/autograd.h) when an input requires
// a gradient; forward and backward sit side by side in core/ops_*.cc, and every derivative is
// also written down as a formula in the op table (core/op_table.cc).
#pragma once

#include <cstdint>

#include "core/tensor.h"
#include "kernels/elementwise.h"

namespace latent {

// --- core/ops_linear.cc --------------------------------------------------------------------------
Tensor Matmul(const Tensor& a, const Tensor& b);  // (M, K) @ (K, N) -> (M, N)
// y = x W^T + b;  x: (B, in), w: (out, in) (PyTorch's layout), b: (out) or undefined.
Tensor Linear(const Tensor& x, const Tensor& w, const Tensor& b);
// y = act(x W^T + b), act = kIdentity, kRelu or kSigmoid, in one fused kernel: the same values,
// bit for bit on the CPU, as Relu(Linear(x, w, b)) or Sigmoid(Linear(x, w, b)), with one pass
// over y instead of three, and only y kept for the backward pass.
using Activation = kernels::Activation;
Tensor LinearAct(const Tensor& x, const Tensor& w, const Tensor& b, Activation act);

// --- core/ops_elementwise.cc ---------------------------------------------------------------------
Tensor Add(const Tensor& a, const Tensor& b);  // same shapes
Tensor Sub(const Tensor& a, const Tensor& b);
Tensor Mul(const Tensor& a, const Tensor& b);
Tensor Scale(const Tensor& x, double factor);
Tensor Relu(const Tensor& x);
Tensor LeakyRelu(const Tensor& x, double negative_slope = 0.01);
Tensor Sigmoid(const Tensor& x);
Tensor Tanh(const Tensor& x);
Tensor Softplus(const Tensor& x);
Tensor Exp(const Tensor& x);
Tensor Log(const Tensor& x);
Tensor Square(const Tensor& x);
Tensor Abs(const Tensor& x);
Tensor AddScalar(const Tensor& x, double c);
// Inverted dropout with drop probability p; the mask is Philox stream (seed, offset). p = 0
// returns x itself.
Tensor Dropout(const Tensor& x, double p, uint64_t seed, uint64_t offset);

// --- core/ops_reduce.cc --------------------------------------------------------------------------
Tensor Sum(const Tensor& x);   // all elements -> a scalar (shape ())
Tensor Mean(const Tensor& x);
Tensor RowSum(const Tensor& x);     // (R, C) -> (R)
Tensor ColumnSum(const Tensor& x);  // (R, C) -> (C)
// y_r = log sum_c exp(x[r, c]), computed with the row max shifted out (kernels/classify.h):
// (R, C) -> (R), C >= 1. A row of -inf gives -inf.
Tensor RowLogSumExp(const Tensor& x);
// A one-element x (shape (), (1), ...) repeated into `shape`: the adjoint of Sum.
Tensor Broadcast(const Tensor& x, const Shape& shape);

// --- core/ops_rows.cc ----------------------------------------------------------------------------
Tensor Reshape(const Tensor& x, const Shape& shape);  // same elements, new shape (shares memory)
Tensor Concat(const Tensor& a, const Tensor& b);  // (B, Da), (B, Db) -> (B, Da + Db)
// out[b] = x[index[b]];  x: (N, ...), index: i32 (B) on x's device.
Tensor GatherRows(const Tensor& x, const Tensor& index);

// --- core/ops_loss.cc ----------------------------------------------------------------------------
// Per-row losses, summed over each row's features: (B, ...) -> (B).
Tensor BceWithLogits(const Tensor& logits, const Tensor& target);
Tensor Mse(const Tensor& a, const Tensor& b);
// Per-row softmax cross-entropy: logits (B, C), labels i32 (B) in [0, C) -> (B).
Tensor SoftmaxCrossEntropy(const Tensor& logits, const Tensor& labels);

// --- core/ops_reparam_kl.cc ----------------------------------------------------------------------
// The VAE's fused reparameterization and KL (kernels/reparam_kl.h): z = mu + exp(logvar/2) eps,
// eps = Philox normal noise of stream (seed, offset), and kl = KL(N(mu, exp(logvar)) || N(0, I))
// per row. Both outputs are differentiable.
struct ReparamKlResult {
  Tensor z;   // (B, D)
  Tensor kl;  // (B)
};
ReparamKlResult ReparamKl(const Tensor& mu, const Tensor& logvar, uint64_t seed, uint64_t offset);

// --- core/ops_conv.cc ----------------------------------------------------------------------------
// 2-D convolution, NCHW, PyTorch's layouts (formulas in kernels/conv.h); b may be undefined.
// x: (B, C, H, W), w: (K, C, KH, KW), b: (K) -> (B, K, OH, OW), OH = (H + 2p - KH) / s + 1 (floor).
Tensor Conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride, int64_t padding);
// Transposed convolution, the adjoint of Conv2d with the same weight (a learned upsampling).
// x: (B, C, H, W), w: (C, K, KH, KW), b: (K) -> (B, K, (H - 1) s - 2p + KH + output_padding, ...);
// 0 <= output_padding < s picks among the output sizes that Conv2d would map back to H.
Tensor ConvTranspose2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride,
                       int64_t padding, int64_t output_padding = 0);

}  // namespace latent

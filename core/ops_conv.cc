// Convolution and transposed convolution, NCHW (kernels/conv.h has the formulas and the letters:
// B batch, C input channels, K output channels, KH x KW kernel, s stride, p padding).
//
// A transposed convolution is the adjoint of the convolution with the same weight, so its
// forward is that convolution's backward-input and its backward-input that convolution's
// forward; both ops below describe their kernels by the one ConvShape of the convolution.
#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "core/tensor_math.h"
#include "kernels/conv.h"

namespace latent {
namespace {

using kernels::ConvShape;

// A tensor's data as T*, or nullptr for an undefined tensor (no bias). `T` comes as a value so
// call sites inside generic lambdas can write Ptr(t, x).
template <typename T>
T* Ptr(T, const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// The bias argument of a kernel called without one, typed: the reference kernels deduce T from
// every pointer they are given.
template <typename T>
const T* NoBias(T) {
  return nullptr;
}

// dbias[c] = sum_{b, h, w} dy[b, c, h, w], with the deterministic reductions: per (b, c) plane,
// then over the batch.
Tensor ChannelSum(const Tensor& dy) {
  const int64_t B = dy.size(0), C = dy.size(1);
  return math::ColumnSum(math::RowSum(dy.View({B * C, dy.size(2) * dy.size(3)})).View({B, C}));
}

// Checks shared by both ops: x (B, ., H, W) with H, W > 0 and w (., ., KH, KW) 4-D, a bias of
// `bias_size` elements when given, everything on one device in one float dtype, sane stride and
// padding.
void CheckConvArgs(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                   int64_t bias_size, int64_t stride, int64_t padding, const char* weight_layout) {
  CheckDefined(op, x, "the input");
  CheckDefined(op, w, "the weight");
  LATENT_CHECK(x.ndim() == 4, op, ": expected an input of shape (B, C, H, W), found shape ",
               x.shape().ToString());
  LATENT_CHECK(w.ndim() == 4, op, ": expected a weight of shape ", weight_layout, ", found shape ",
               w.shape().ToString());
  LATENT_CHECK(x.size(2) > 0 && x.size(3) > 0, op, ": expected a non-empty image, found shape ",
               x.shape().ToString());
  CheckFloat(op, x);
  CheckSameDevice(op, x, w);
  CheckSameDType(op, x, w);
  if (b.defined()) {
    CheckSameDevice(op, x, b);
    CheckSameDType(op, x, b);
    LATENT_CHECK(b.ndim() == 1 && b.size(0) == bias_size, op, ": expected a bias of shape (",
                 bias_size, ",) for weight ", w.shape().ToString(), ", found shape ",
                 b.shape().ToString());
  }
  LATENT_CHECK(stride >= 1, op, ": expected a stride >= 1, found ", stride);
  LATENT_CHECK(padding >= 0, op, ": expected a padding >= 0, found ", padding);
  LATENT_CHECK(w.size(0) > 0 && w.size(1) > 0 && w.size(2) > 0 && w.size(3) > 0, op,
               ": expected a weight with no empty dimension, found shape ", w.shape().ToString());
}

// The six kernels on tensors, each allocating its output. Letters as in kernels/conv.h; `s` is
// the conv (for the transposed ones, the conv they transpose). Each family has three kernels: the
// direct loops (the specification), the GPU's, and im2col + the optimized GEMM, which f32 takes on
// the CPU (core/dispatch.h).

// y: (B, K, OH, OW) = conv(x, w) + b
Tensor ConvForward(const ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor y = Tensor::Empty({s.batch, s.out_channels, s.out_h, s.out_w}, x.dtype(), x.device());
  Dispatch("conv2d", x,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::Conv2dForwardCpu, kernels::Conv2dForwardCuda,
                                        kernels::Conv2dForwardIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, x), Ptr(t, w), Ptr(t, b), Ptr(t, y)); });
  return y;
}

// dx: (B, C, H, W) from dy: (B, K, OH, OW)
Tensor ConvBackwardInput(const ConvShape& s, const Tensor& dy, const Tensor& w) {
  Tensor dx = Tensor::Empty({s.batch, s.in_channels, s.in_h, s.in_w}, dy.dtype(), dy.device());
  Dispatch("conv2d backward-input", dy,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::Conv2dBackwardInputCpu,
                                        kernels::Conv2dBackwardInputCuda,
                                        kernels::Conv2dBackwardInputIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, dy), Ptr(t, w), NoBias(t), Ptr(t, dx)); });
  return dx;
}

// dw: (K, C, KH, KW) from x: (B, C, H, W) and dy: (B, K, OH, OW)
Tensor ConvBackwardWeight(const ConvShape& s, const Tensor& x, const Tensor& dy) {
  Tensor dw =
      Tensor::Empty({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}, x.dtype(), x.device());
  Dispatch("conv2d backward-weight", dy,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::Conv2dBackwardWeightCpu,
                                        kernels::Conv2dBackwardWeightCuda,
                                        kernels::Conv2dBackwardWeightIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, x), Ptr(t, dy), Ptr(t, dw)); });
  return dw;
}

// y_t: (B, C, H, W) = convT(x_t, w) + b, from x_t: (B, K, OH, OW)
Tensor ConvTransposeForward(const ConvShape& s, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor y = Tensor::Empty({s.batch, s.in_channels, s.in_h, s.in_w}, x.dtype(), x.device());
  Dispatch("conv_transpose2d", x,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::ConvTranspose2dForwardCpu,
                                        kernels::ConvTranspose2dForwardCuda,
                                        kernels::ConvTranspose2dForwardIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, x), Ptr(t, w), Ptr(t, b), Ptr(t, y)); });
  return y;
}

// dx_t: (B, K, OH, OW) from dy_t: (B, C, H, W)
Tensor ConvTransposeBackwardInput(const ConvShape& s, const Tensor& dy, const Tensor& w) {
  Tensor dx = Tensor::Empty({s.batch, s.out_channels, s.out_h, s.out_w}, dy.dtype(), dy.device());
  Dispatch("conv_transpose2d backward-input", dy,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::ConvTranspose2dBackwardInputCpu,
                                        kernels::ConvTranspose2dBackwardInputCuda,
                                        kernels::ConvTranspose2dBackwardInputIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, dy), Ptr(t, w), Ptr(t, dx)); });
  return dx;
}

// dw: (K, C, KH, KW) from x_t: (B, K, OH, OW) and dy_t: (B, C, H, W)
Tensor ConvTransposeBackwardWeight(const ConvShape& s, const Tensor& x, const Tensor& dy) {
  Tensor dw =
      Tensor::Empty({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}, x.dtype(), x.device());
  Dispatch("conv_transpose2d backward-weight", dy,
           LATENT_KERNELS_WITH_FAST_CPU(kernels::ConvTranspose2dBackwardWeightCpu,
                                        kernels::ConvTranspose2dBackwardWeightCuda,
                                        kernels::ConvTranspose2dBackwardWeightIm2colCpu),
           [&](auto conv, auto t) { conv(s, Ptr(t, x), Ptr(t, dy), Ptr(t, dw)); });
  return dw;
}

}  // namespace

Tensor Conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride, int64_t padding) {
  const char* op = "conv2d";
  CheckConvArgs(op, x, w, b, w.defined() && w.ndim() == 4 ? w.size(0) : 0, stride, padding,
                "(out_channels, in_channels, KH, KW)");
  LATENT_CHECK(x.size(1) == w.size(1), op, ": the input has ", x.size(1),
               " channels but the weight expects ", w.size(1), " (input shape ",
               x.shape().ToString(), ", weight shape ", w.shape().ToString(), ")");
  const int64_t H = x.size(2), W = x.size(3), KH = w.size(2), KW = w.size(3);
  LATENT_CHECK(H + 2 * padding >= KH && W + 2 * padding >= KW, op, ": the kernel ", KH, "x", KW,
               " is larger than the padded input ", H + 2 * padding, "x", W + 2 * padding,
               " (input ", H, "x", W, ", padding ", padding, ")");
  const int64_t OH = kernels::ConvOutSize(H, KH, stride, padding);
  const int64_t OW = kernels::ConvOutSize(W, KW, stride, padding);
  const ConvShape s{x.size(0), x.size(1), H, W, w.size(0), OH, OW, KH, KW, stride, padding};
  Tensor y = ConvForward(s, x, w, b);
  Record(OpKind::kConv2d, {x, w, b}, {&y},
         [s, x = Detach(x), w = Detach(w), gx = x.requires_grad(), gw = w.requires_grad(),
          gb = b.defined() && b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dy = g[0];  // (B, K, OH, OW)
           return std::vector<Tensor>{gx ? ConvBackwardInput(s, dy, w) : Tensor(),
                                      gw ? ConvBackwardWeight(s, x, dy) : Tensor(),
                                      gb ? ChannelSum(dy) : Tensor()};
         });
  return y;
}

Tensor ConvTranspose2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t stride,
                       int64_t padding, int64_t output_padding) {
  const char* op = "conv_transpose2d";
  CheckConvArgs(op, x, w, b, w.defined() && w.ndim() == 4 ? w.size(1) : 0, stride, padding,
                "(in_channels, out_channels, KH, KW)");
  LATENT_CHECK(x.size(1) == w.size(0), op, ": the input has ", x.size(1),
               " channels but the weight expects ", w.size(0), " (input shape ",
               x.shape().ToString(), ", weight shape ", w.shape().ToString(), ")");
  LATENT_CHECK(output_padding >= 0 && output_padding < stride, op,
               ": expected 0 <= output_padding < stride = ", stride, ", found ", output_padding);
  const int64_t H = x.size(2), W = x.size(3), KH = w.size(2), KW = w.size(3);
  const int64_t OH = kernels::ConvTransposeOutSize(H, KH, stride, padding, output_padding);
  const int64_t OW = kernels::ConvTransposeOutSize(W, KW, stride, padding, output_padding);
  LATENT_CHECK(OH >= 1 && OW >= 1, op, ": the output would be ", OH, "x", OW, " (input ", H, "x", W,
               ", kernel ", KH, "x", KW, ", stride ", stride, ", padding ", padding,
               ", output_padding ", output_padding, "); reduce the padding");
  // The conv this op transposes maps y's (B, K_t, OH, OW) to x's (B, C_t, H, W), same weight.
  const ConvShape s{x.size(0), w.size(1), OH, OW, w.size(0), H, W, KH, KW, stride, padding};
  Tensor y = ConvTransposeForward(s, x, w, b);
  Record(OpKind::kConvTranspose2d, {x, w, b}, {&y},
         [s, x = Detach(x), w = Detach(w), gx = x.requires_grad(), gw = w.requires_grad(),
          gb = b.defined() && b.requires_grad()](const std::vector<Tensor>& g) {
           const Tensor& dy = g[0];  // (B, K_t, OH, OW)
           return std::vector<Tensor>{gx ? ConvTransposeBackwardInput(s, dy, w) : Tensor(),
                                      gw ? ConvTransposeBackwardWeight(s, x, dy) : Tensor(),
                                      gb ? ChannelSum(dy) : Tensor()};
         });
  return y;
}

}  // namespace latent

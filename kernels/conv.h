// 2-D convolution and transposed convolution, NCHW, PyTorch's weight layouts.
//
// Letters used in every conv file: B batch, C input channels, K output channels, H x W input
// image, OH x OW output image, KH x KW kernel, s stride, p padding (both per call, the same along
// h and w). A convolution ("conv") maps
//   x: (B, C, H, W),  w: (K, C, KH, KW),  bias: (K)  ->  y: (B, K, OH, OW)
//   y[b, k, oh, ow] = bias[k] + sum_{c, kh, kw} w[k, c, kh, kw] x[b, c, ih, iw],
//   ih = oh s - p + kh,  iw = ow s - p + kw,
// with x read as 0 outside the image (padding), OH = (H + 2p - KH) / s + 1 (floor; OW alike).
// Its gradients, with upstream dy: (B, K, OH, OW):
//   dx[b, c, ih, iw] = sum over (k, kh, kw, oh, ow) with oh s - p + kh = ih and ow s - p + kw = iw
//                      of dy[b, k, oh, ow] w[k, c, kh, kw]                        (backward-input)
//   dw[k, c, kh, kw] = sum_{b, oh, ow} dy[b, k, oh, ow] x[b, c, ih, iw]  (ih, iw as above)
//   dbias[k]         = sum_{b, oh, ow} dy[b, k, oh, ow]   (the op computes it with the reductions)
//
// A transposed convolution is the adjoint (the transpose, as a linear map of x) of a conv with the
// same weight: with w: (C_t, K_t, KH, KW) — PyTorch's (in, out, KH, KW) layout for
// ConvTranspose2d, which is exactly the layout of the conv's (K, C, KH, KW) — it maps
// x_t: (B, C_t, H_t, W_t) to y_t: (B, K_t, (H_t - 1) s - 2p + KH + output_padding, ...). It is
// described by the ConvShape of the conv it transposes: that conv's input is y_t's shape, its
// output x_t's. So its three kernels are the conv's, with the roles swapped:
//   transposed forward        = conv backward-input (plus the bias)
//   transposed backward-input = conv forward (no bias)
//   transposed backward-weight = conv backward-weight with input := dy_t and dy := x_t
// and they are written that way below, not as loops of their own.
//
// Versions of every kernel:
//   ...Cpu<T>        direct loops over the formulas (kernels/cpu/conv.cc): the specification,
//                    used for f64 (gradient checks) and by the tests.
//   ...Im2colCpu     f32: im2col / col2im around kernels::GemmCpu (kernels/cpu/conv_im2col.cc).
//   ...Cuda          f32: im2col / col2im kernels around kernels::GemmCuda (kernels/cuda/conv.cu).
// Kernels write their outputs with `=`; `bias` may be nullptr (no bias).
#pragma once

#include <cstdint>

namespace latent::kernels {

struct ConvShape {
  int64_t batch = 0;                               // B
  int64_t in_channels = 0, in_h = 0, in_w = 0;     // C, H, W
  int64_t out_channels = 0, out_h = 0, out_w = 0;  // K, OH, OW
  int64_t kernel_h = 0, kernel_w = 0;              // KH, KW
  int64_t stride = 1, padding = 0;                 // s, p
};

// OH for an input of `in` pixels (the same formula gives OW): floor((in + 2p - kernel) / s) + 1.
// Callers check in + 2p >= kernel first.
inline int64_t ConvOutSize(int64_t in, int64_t kernel, int64_t stride, int64_t padding) {
  return (in + 2 * padding - kernel) / stride + 1;
}
// The transposed conv's output size (the inverse of the above, plus output_padding < s, which
// picks one of the s input sizes that the floor maps onto the same output size).
inline int64_t ConvTransposeOutSize(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                                    int64_t output_padding) {
  return (in - 1) * stride - 2 * padding + kernel + output_padding;
}

// --- conv: x (B, C, H, W), w (K, C, KH, KW), bias (K), y / dy (B, K, OH, OW) --------------------
template <typename T>
void Conv2dForwardCpu(const ConvShape& s, const T* x, const T* w, const T* bias, T* y);
// dx: (B, C, H, W). `bias` (C), when given, is added to dx: that is the transposed conv's bias.
template <typename T>
void Conv2dBackwardInputCpu(const ConvShape& s, const T* dy, const T* w, const T* bias, T* dx);
// dw: (K, C, KH, KW)
template <typename T>
void Conv2dBackwardWeightCpu(const ConvShape& s, const T* x, const T* dy, T* dw);

void Conv2dForwardIm2colCpu(const ConvShape& s, const float* x, const float* w, const float* bias,
                            float* y);
void Conv2dBackwardInputIm2colCpu(const ConvShape& s, const float* dy, const float* w,
                                  const float* bias, float* dx);
void Conv2dBackwardWeightIm2colCpu(const ConvShape& s, const float* x, const float* dy, float* dw);

void Conv2dForwardCuda(const ConvShape& s, const float* x, const float* w, const float* bias,
                       float* y);
void Conv2dBackwardInputCuda(const ConvShape& s, const float* dy, const float* w, const float* bias,
                             float* dx);
void Conv2dBackwardWeightCuda(const ConvShape& s, const float* x, const float* dy, float* dw);

// --- transposed conv, in terms of the conv `s` it transposes ------------------------------------
// x_t: (B, K, OH, OW), w: (K, C, KH, KW), bias (C), y_t / dy_t: (B, C, H, W).
template <typename T>
void ConvTranspose2dForwardCpu(const ConvShape& s, const T* x_t, const T* w, const T* bias,
                               T* y_t) {
  Conv2dBackwardInputCpu<T>(s, x_t, w, bias, y_t);
}
template <typename T>
void ConvTranspose2dBackwardInputCpu(const ConvShape& s, const T* dy_t, const T* w, T* dx_t) {
  Conv2dForwardCpu<T>(s, dy_t, w, nullptr, dx_t);
}
template <typename T>
void ConvTranspose2dBackwardWeightCpu(const ConvShape& s, const T* x_t, const T* dy_t, T* dw) {
  Conv2dBackwardWeightCpu<T>(s, dy_t, x_t, dw);
}

inline void ConvTranspose2dForwardIm2colCpu(const ConvShape& s, const float* x_t, const float* w,
                                            const float* bias, float* y_t) {
  Conv2dBackwardInputIm2colCpu(s, x_t, w, bias, y_t);
}
inline void ConvTranspose2dBackwardInputIm2colCpu(const ConvShape& s, const float* dy_t,
                                                  const float* w, float* dx_t) {
  Conv2dForwardIm2colCpu(s, dy_t, w, nullptr, dx_t);
}
inline void ConvTranspose2dBackwardWeightIm2colCpu(const ConvShape& s, const float* x_t,
                                                   const float* dy_t, float* dw) {
  Conv2dBackwardWeightIm2colCpu(s, dy_t, x_t, dw);
}

inline void ConvTranspose2dForwardCuda(const ConvShape& s, const float* x_t, const float* w,
                                       const float* bias, float* y_t) {
  Conv2dBackwardInputCuda(s, x_t, w, bias, y_t);
}
inline void ConvTranspose2dBackwardInputCuda(const ConvShape& s, const float* dy_t, const float* w,
                                             float* dx_t) {
  Conv2dForwardCuda(s, dy_t, w, nullptr, dx_t);
}
inline void ConvTranspose2dBackwardWeightCuda(const ConvShape& s, const float* x_t,
                                              const float* dy_t, float* dw) {
  Conv2dBackwardWeightCuda(s, dy_t, x_t, dw);
}

}  // namespace latent::kernels

// CPU reference for kernels/conv.h: the conv formulas as direct loops, the specification every
// other conv path is tested against (and the path f64 gradient checks run).
//
// B batch, C input channels, K output channels, H x W input, OH x OW output, KH x KW kernel,
// s stride, p padding. Each output element is computed by one thread, its terms summed in one
// fixed order, so results do not depend on the thread count.
#include "kernels/conv.h"

namespace latent::kernels {
namespace {

// Below this many multiply-adds, waking the thread team costs about as much as the loops (the
// gradient checks run thousands of tiny convolutions).
constexpr int64_t kParallelMin = int64_t{1} << 16;

int64_t MultiplyAdds(const ConvShape& s) {
  return s.batch * s.out_channels * s.out_h * s.out_w * s.in_channels * s.kernel_h * s.kernel_w;
}

}  // namespace

template <typename T>
void Conv2dForwardCpu(const ConvShape& s, const T* x, const T* w, const T* bias, T* y) {
  // x: (B, C, H, W), w: (K, C, KH, KW), bias: (K) or null, y: (B, K, OH, OW)
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w;
  const int64_t K = s.out_channels, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w;
#pragma omp parallel for collapse(2) schedule(static) if (MultiplyAdds(s) >= kParallelMin)
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t oh = 0; oh < OH; ++oh) {
        for (int64_t ow = 0; ow < OW; ++ow) {
          T acc = bias != nullptr ? bias[k] : T(0);
          for (int64_t c = 0; c < C; ++c) {
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t ih = oh * s.stride - s.padding + kh;
              if (ih < 0 || ih >= H) continue;  // a padding row: x is 0 there
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t iw = ow * s.stride - s.padding + kw;
                if (iw < 0 || iw >= W) continue;
                acc += w[((k * C + c) * KH + kh) * KW + kw] * x[((b * C + c) * H + ih) * W + iw];
              }
            }
          }
          y[((b * K + k) * OH + oh) * OW + ow] = acc;
        }
      }
    }
  }
}

template <typename T>
void Conv2dBackwardInputCpu(const ConvShape& s, const T* dy, const T* w, const T* bias, T* dx) {
  // dy: (B, K, OH, OW), w: (K, C, KH, KW), bias: (C) or null, dx: (B, C, H, W).
  // Gathered per input pixel (not scattered from each output pixel), so every dx element is
  // written once, by one thread: input row ih received kernel row kh from output row oh exactly
  // when oh s - p + kh = ih, i.e. oh = (ih + p - kh) / s when that divides evenly and lands in
  // [0, OH). Columns alike.
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w;
  const int64_t K = s.out_channels, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w;
#pragma omp parallel for collapse(2) schedule(static) if (MultiplyAdds(s) >= kParallelMin)
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t ih = 0; ih < H; ++ih) {
        for (int64_t iw = 0; iw < W; ++iw) {
          T acc = bias != nullptr ? bias[c] : T(0);
          for (int64_t k = 0; k < K; ++k) {
            for (int64_t kh = 0; kh < KH; ++kh) {
              const int64_t th = ih + s.padding - kh;  // = oh s
              if (th < 0 || th % s.stride != 0 || th / s.stride >= OH) continue;
              const int64_t oh = th / s.stride;
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t tw = iw + s.padding - kw;  // = ow s
                if (tw < 0 || tw % s.stride != 0 || tw / s.stride >= OW) continue;
                const int64_t ow = tw / s.stride;
                acc += dy[((b * K + k) * OH + oh) * OW + ow] * w[((k * C + c) * KH + kh) * KW + kw];
              }
            }
          }
          dx[((b * C + c) * H + ih) * W + iw] = acc;
        }
      }
    }
  }
}

template <typename T>
void Conv2dBackwardWeightCpu(const ConvShape& s, const T* x, const T* dy, T* dw) {
  // x: (B, C, H, W), dy: (B, K, OH, OW), dw: (K, C, KH, KW). One thread per weight: the sum over
  // the batch and the output pixels runs in index order inside it.
  const int64_t C = s.in_channels, H = s.in_h, W = s.in_w;
  const int64_t K = s.out_channels, OH = s.out_h, OW = s.out_w;
  const int64_t KH = s.kernel_h, KW = s.kernel_w;
#pragma omp parallel for collapse(2) schedule(static) if (MultiplyAdds(s) >= kParallelMin)
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t kh = 0; kh < KH; ++kh) {
        for (int64_t kw = 0; kw < KW; ++kw) {
          T acc = 0;
          for (int64_t b = 0; b < s.batch; ++b) {
            for (int64_t oh = 0; oh < OH; ++oh) {
              const int64_t ih = oh * s.stride - s.padding + kh;
              if (ih < 0 || ih >= H) continue;
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t iw = ow * s.stride - s.padding + kw;
                if (iw < 0 || iw >= W) continue;
                acc += dy[((b * K + k) * OH + oh) * OW + ow] * x[((b * C + c) * H + ih) * W + iw];
              }
            }
          }
          dw[((k * C + c) * KH + kh) * KW + kw] = acc;
        }
      }
    }
  }
}

#define LATENT_INSTANTIATE_CONV(T)                                                             \
  template void Conv2dForwardCpu<T>(const ConvShape&, const T*, const T*, const T*, T*);       \
  template void Conv2dBackwardInputCpu<T>(const ConvShape&, const T*, const T*, const T*, T*); \
  template void Conv2dBackwardWeightCpu<T>(const ConvShape&, const T*, const T*, T*);
LATENT_INSTANTIATE_CONV(float)
LATENT_INSTANTIATE_CONV(double)
#undef LATENT_INSTANTIATE_CONV

}  // namespace latent::kernels

// The convolutional encoder and decoder shared by conv-ae and conv-vae (DCGAN-style: strided
// convolutions down, transposed convolutions up, no pooling):
//
//   encoder  x (B, H*W) -> (B, 1, H, W) -> Conv 1->c k4 s2 p1 -> ReLU    (H/2 x W/2)
//                                       -> Conv c->2c k4 s2 p1 -> ReLU   (H/4 x W/4)
//                                       -> flatten (B, 2c H/4 W/4)
//   decoder  z -> Linear -> ReLU -> (B, 2c, H/4, W/4) -> ConvT 2c->c k4 s2 p1 -> ReLU  (H/2 x W/2)
//                                                     -> ConvT c->1 k4 s2 p1           (H x W)
//            -> logits (B, H*W)
//
// A k4 s2 p1 convolution halves an even size exactly and its transpose doubles it, so the decoder
// mirrors the encoder without output padding when H and W are multiples of 4 (28 -> 14 -> 7).
// The heads from the features to the code are the models' own (one for an AE, two for a VAE).
#pragma once

#include <cstdint>

#include "core/nn.h"
#include "models/hyper_params.h"
#include "models/model.h"

namespace latent {

// Checks that `shape` suits the trunk (H, W multiples of 4) and that `channels` >= 1.
void CheckConvGeometry(const ModelShape& shape, int64_t channels);

class ConvEncoder {
 public:
  ConvEncoder() = default;
  ConvEncoder(Parameters& params, const ModelShape& shape, int64_t channels);
  Tensor operator()(const Tensor& x) const;  // (B, H*W) -> (B, features())
  int64_t features() const { return 2 * channels_ * (height_ / 4) * (width_ / 4); }

 private:
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  Conv2dLayer conv1_, conv2_;
};

class ConvDecoder {
 public:
  ConvDecoder() = default;
  ConvDecoder(Parameters& params, const ModelShape& shape, int64_t channels, int64_t code);
  Tensor operator()(const Tensor& z) const;  // (B, code) -> logits (B, H*W)

 private:
  int64_t height_ = 0, width_ = 0, channels_ = 0;
  LinearLayer fc_;
  ConvTranspose2dLayer deconv1_, deconv2_;
};

// --channels, the width of the first convolution (the second has twice as many).
HyperParamSpec ConvChannelsSpec(int64_t default_value);

}  // namespace latent

#include "models/ae/conv_net.h"

#include "kernels/error.h"
#include "core/ops.h"

namespace latent {

void CheckConvGeometry(const ModelShape& shape, int64_t channels) {
  LATENT_CHECK(shape.height % 4 == 0 && shape.width % 4 == 0 && shape.height > 0 &&
                   shape.width > 0,
               "the convolutional models halve the image twice, so its height and width must be "
               "positive multiples of 4; found ", shape.height, " x ", shape.width);
  LATENT_CHECK(channels >= 1, "--channels must be at least 1, found ", channels);
}

ConvEncoder::ConvEncoder(Parameters& params, const ModelShape& shape, int64_t channels)
    : height_(shape.height),
      width_(shape.width),
      channels_(channels),
      conv1_(params, "encoder.conv1", 1, channels, 4, 2, 1),
      conv2_(params, "encoder.conv2", channels, 2 * channels, 4, 2, 1) {
  CheckConvGeometry(shape, channels);
}

Tensor ConvEncoder::operator()(const Tensor& x) const {
  const int64_t B = x.size(0);
  const Tensor image = Reshape(x, {B, 1, height_, width_});
  return Reshape(Relu(conv2_(Relu(conv1_(image)))), {B, features()});
}

ConvDecoder::ConvDecoder(Parameters& params, const ModelShape& shape, int64_t channels,
                         int64_t code)
    : height_(shape.height),
      width_(shape.width),
      channels_(channels),
      fc_(params, "decoder.fc", code, 2 * channels * (shape.height / 4) * (shape.width / 4)),
      deconv1_(params, "decoder.deconv1", 2 * channels, channels, 4, 2, 1),
      deconv2_(params, "decoder.deconv2", channels, 1, 4, 2, 1) {
  CheckConvGeometry(shape, channels);
}

Tensor ConvDecoder::operator()(const Tensor& z) const {
  const int64_t B = z.size(0);
  const Tensor h = Reshape(Relu(fc_(z)), {B, 2 * channels_, height_ / 4, width_ / 4});
  return Reshape(deconv2_(Relu(deconv1_(h))), {B, height_ * width_});
}

HyperParamSpec ConvChannelsSpec(int64_t default_value) {
  return {"channels", HyperParamText(default_value),
          "channels of the first convolution (the second has twice as many)"};
}

}  // namespace latent

// The deep autoencoder of Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with
// neural networks": 784-1000-500-250-30 with a linear 30-d code and a mirrored decoder.
//
//   encoder  h1 = a(W1 x + b1), h2 = a(W2 h1 + b2), h3 = a(W3 h2 + b3),  z = W4 h3 + b4  (linear)
//   decoder  g3 = a(V4 z + c4), g2 = a(V3 g3 + c3), g1 = a(V2 g2 + c2),  logits = V1 g1 + c1
//   loss     sum_pixels BCE(logits, x)        (the cross-entropy the paper fine-tunes MNIST with)
//   reported sqerr = sum_pixels (x - s(logits))^2, the paper's table (3.00 per test image)
//
// The paper pretrains with stacked RBMs and fine-tunes with conjugate gradients; here the network
// trains end to end with Adam from the framework's default initialization, which ReLU hidden
// units (a = ReLU, the default) make possible: with sigmoid units the 8-layer stack learns slowly
// without pretraining.
//
// --pretrain-epochs E > 0 adds greedy layer-wise pre-training before that (models/train/
// pretrain.h), with stacked autoencoders in place of the paper's RBMs (Bengio et al. 2007): stage
// s trains encoder layer s+1 and its mirror in the decoder as a one-hidden-layer autoencoder of
// h_s, the code of the s layers below, which stay fixed,
//
//   stage 0      logits = V1 a(W1 x + b1) + c1,          loss sum BCE(logits, x)
//   stage s > 0  g = a(V_{s+1} u + c_{s+1}),  u = a(W_{s+1} h_s + b_{s+1}),
//                loss sum (g - h_s)^2                   (u linear at the code layer)
//
// so each layer starts from weights that already reconstruct the layer below.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/nn.h"
#include "core/ops.h"
#include "kernels/error.h"
#include "models/ae/reconstruction.h"
#include "models/configs.h"
#include "models/variants.h"

namespace latent {
namespace {

class DeepAe : public Model {
 public:
  // widths: the hidden layers from the input inwards (1000, 500, 250).
  DeepAe(int64_t features, const std::vector<int64_t>& widths, int64_t code, bool sigmoid,
         int pretrain_epochs)
      : sigmoid_(sigmoid),
        hidden_(sigmoid ? Activation::kSigmoid : Activation::kRelu),
        pretrain_epochs_(pretrain_epochs) {
    std::vector<int64_t> sizes = {features};
    sizes.insert(sizes.end(), widths.begin(), widths.end());
    sizes.push_back(code);
    const int n = static_cast<int>(sizes.size()) - 1;
    for (int i = 0; i < n; ++i) {
      encoder_.push_back(Layer("encoder.fc" + std::to_string(i + 1), sizes[i], sizes[i + 1]));
    }
    for (int i = n; i > 0; --i) {
      decoder_.push_back(Layer("decoder.fc" + std::to_string(n - i + 1), sizes[i], sizes[i - 1]));
    }
  }

  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    const Tensor logits = Apply(decoder_, Code(x), Activation::kIdentity);
    Tensor recon = Sum(BceWithLogits(logits, x));
    return {recon, {{"recon", recon}, {"sqerr", SquaredError(logits, x)}}};
  }

  int pretrain_stages() const override { return static_cast<int>(encoder_.size()); }
  int pretrain_epochs() const override { return pretrain_epochs_; }
  LossOutput PretrainLoss(int stage, const Tensor& x) override {
    const int n = pretrain_stages();
    LATENT_CHECK(stage >= 0 && stage < n, "deep-ae has pre-training stages 0..", n - 1,
                 "; stage ", stage, " asked for");
    Tensor h = x;
    {
      NoGradGuard frozen;  // the layers below are inputs here, not parameters being trained
      for (int i = 0; i < stage; ++i) h = encoder_[i](h, hidden_);
    }
    const Tensor u = encoder_[stage](h, stage + 1 < n ? hidden_ : Activation::kIdentity);
    const LinearLayer& mirror = decoder_[n - 1 - stage];
    if (stage == 0) {
      const Tensor logits = mirror(u, Activation::kIdentity);
      Tensor recon = Sum(BceWithLogits(logits, x));
      return {recon, {{"recon", recon}}};
    }
    Tensor sqerr = Sum(Mse(mirror(u, hidden_), h));
    return {sqerr, {{"sqerr", sqerr}}};
  }

  Tensor Encode(const Tensor& x, const Tensor&) override { return Code(x); }
  Tensor Decode(const Tensor& z, const Tensor&) override {
    return Apply(decoder_, z, Activation::kSigmoid);
  }
  int64_t code_size() const override { return encoder_.back().out(); }

 private:
  // He's initialization of the weights, W ~ U(-sqrt(6 / in), sqrt(6 / in)), keeps the variance
  // of ReLU activations constant through the 8 layers; the default U(-1/sqrt(in), 1/sqrt(in))
  // shrinks it sixfold per layer, and on 10000 images the network then needs 6 epochs to reach
  // the squared error (23) that He's reaches in 1. Biases keep the default: zero biases would
  // make a row whose layer is all zeros feed exact zeros, i.e. ReLU kinks, to the next layer.
  // Sigmoid units keep the default throughout.
  LinearLayer Layer(const std::string& name, int64_t in, int64_t out) {
    if (sigmoid_) return LinearLayer(params_, name, in, out);
    const double he = std::sqrt(6.0 / static_cast<double>(in));
    const double bias = 1.0 / std::sqrt(static_cast<double>(in));
    return LinearLayer(params_, name, in, out, Init::Uniform(he), Init::Uniform(bias));
  }

  // Every layer but the last is followed by the hidden activation, in its GEMM's epilogue; the
  // last by `last`: the identity for the code and the logits, sigmoid for decoded images.
  Tensor Apply(const std::vector<LinearLayer>& layers, Tensor h, Activation last) const {
    for (size_t i = 0; i < layers.size(); ++i) {
      const Activation act = i + 1 < layers.size() ? hidden_ : last;
      h = layers[i](h, act);
    }
    return h;
  }
  Tensor Code(const Tensor& x) const { return Apply(encoder_, x, Activation::kIdentity); }

  bool sigmoid_;
  Activation hidden_;
  int pretrain_epochs_;
  std::vector<LinearLayer> encoder_, decoder_;
};

const std::vector<Choice<DeepAeConfig::Units>> kUnits = {{"relu", DeepAeConfig::kRelu},
                                                         {"sigmoid", DeepAeConfig::kSigmoid}};

// "1000,500,250" -> {1000, 500, 250}: 1 to kMaxHiddenLayers widths, each in [1, kMaxUnits].
std::vector<int64_t> ParseWidths(const std::string& text) {
  std::vector<int64_t> widths;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    // At most 9 digits, so that stoll cannot overflow before the range is checked.
    const bool digits = !item.empty() && item.size() <= 9 &&
                        item.find_first_not_of("0123456789") == std::string::npos;
    const bool ok = digits && std::stoll(item) >= 1 && std::stoll(item) <= kMaxUnits &&
                    static_cast<int64_t>(widths.size()) < kMaxHiddenLayers;
    LATENT_CHECK(ok, "--widths expects 1 to ", kMaxHiddenLayers, " comma-separated layer widths "
                 "in [1, ", kMaxUnits, "] such as 1000,500,250; found '", text, "'");
    widths.push_back(std::stoll(item));
    begin = end + 1;
  }
  return widths;
}

}  // namespace

std::vector<HyperParamSpec> DeepAeConfig::Specs() {
  const DeepAeConfig d;
  std::string widths;
  for (int64_t w : d.widths) widths += (widths.empty() ? "" : ",") + HyperParamText(w);
  return {{"widths", widths, "hidden layer widths from the input to the code"},
          {"latent-dim", HyperParamText(d.latent_dim), "size of the linear code"},
          {"activation", HyperParamText(d.activation, kUnits),
           "hidden units: relu or sigmoid (the paper's)"},
          {"pretrain-epochs", HyperParamText(d.pretrain_epochs),
           "epochs of greedy layer-wise pre-training per layer (0: none)"}};
}

DeepAeConfig DeepAeConfig::FromValues(const HyperParams& values) {
  DeepAeConfig c;
  c.activation = values.GetChoice("activation", kUnits);
  c.widths = ParseWidths(values.Get("widths"));
  c.latent_dim = values.GetInt("latent-dim", 1, kMaxUnits);
  c.pretrain_epochs = values.GetInt("pretrain-epochs", 0, 1000000);
  return c;
}

std::unique_ptr<Model> MakeDeepAe(const DeepAeConfig& config, const ModelShape& shape) {
  return std::make_unique<DeepAe>(shape.features(), config.widths, config.latent_dim,
                                  config.activation == DeepAeConfig::kSigmoid,
                                  static_cast<int>(config.pretrain_epochs));
}

ModelInfo DeepAeInfo() {
  return {"deep-ae",
          "deep autoencoder 784-1000-500-250-30, linear code, mirrored decoder (Hinton & "
          "Salakhutdinov 2006)",
          DeepAeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeDeepAe(DeepAeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent

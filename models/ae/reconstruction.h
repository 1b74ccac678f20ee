// Pieces shared by the dense autoencoders (ae, overcomplete, deep, sparse, denoising, contractive).
#pragma once

#include <cstdint>

#include "core/autograd.h"
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/model.h"

namespace latent {

// sqerr = sum_rows sum_pixels (x - s(logits))^2, the error Hinton & Salakhutdinov (2006) tabulate.
// The logits are detached: it is a metric reported beside a BCE objective and must not add a
// second gradient to it.
inline Tensor SquaredError(const Tensor& logits, const Tensor& x) {
  return Sum(Mse(Sigmoid(Detach(logits)), x));
}

// The one-hidden-layer autoencoder that ae, overcomplete-ae, sparse-ae, denoising-ae and
// contractive-ae share: code h = act(W1 x + b1) ("encoder.fc"), decoded images
// sigmoid(W2 h + b2) ("decoder.fc"), each with its activation in the GEMM's epilogue. A variant
// only writes its loss.
class OneLayerAe : public Model {
 public:
  Tensor Encode(const Tensor& x, const Tensor&) override { return Code(x); }
  Tensor Decode(const Tensor& z, const Tensor&) override {
    return decoder_(z, Activation::kSigmoid);
  }
  int64_t code_size() const override { return encoder_.out(); }

 protected:
  OneLayerAe(int64_t features, int64_t code, Activation code_activation)
      : code_activation_(code_activation),
        encoder_(params_, "encoder.fc", features, code),
        decoder_(params_, "decoder.fc", code, features) {}
  Tensor Code(const Tensor& x) const { return encoder_(x, code_activation_); }

  Activation code_activation_;
  LinearLayer encoder_, decoder_;
};

// The Philox stream of a model's input corruption: fixed by (seed, step), so a gradient check
// sees the same noise in every evaluation; evaluation draws from its own stream so that test batch
// b is not corrupted like training step b.
inline uint64_t CorruptionOffset(const StepContext& ctx) {
  return StreamOffset(ctx.training ? Stream::kCorrupt : Stream::kEval, ctx.step);
}

}  // namespace latent

// Pieces shared by the dense autoencoders (ae, overcomplete, deep, sparse, denoising, contractive).
#pragma once

#include <cstdint>

#include "core/autograd.h"
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

// The Philox stream of a model's input corruption: fixed by (seed, step), so a gradient check
// sees the same noise in every evaluation; evaluation draws from its own stream so that test batch
// b is not corrupted like training step b.
inline uint64_t CorruptionOffset(const StepContext& ctx) {
  return StreamOffset(ctx.training ? Stream::kCorrupt : Stream::kEval, ctx.step);
}

}  // namespace latent

// The VAE's importance-weighted estimate of the test log-likelihood (Burda et al. 2015) over a
// whole test set, in the fixed groups and seeds that make it reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/io/dataset.h"
#include "core/tensor.h"
#include "models/vae/vae_core.h"

namespace latent {

// Images per call of VaeCore::ImportanceWeightedLogLikelihood: one decoder call then holds
// kIwaeGroup x chunk rows, which bounds memory for any test set.
inline constexpr int64_t kIwaeGroup = 100;

// Per row of images (N, H*W) (labels: i32 (N), for conditional models), the estimate of log p(x)
// from k importance samples, chunk of them decoded per image in one call. Rows go in groups of
// kIwaeGroup, the group starting at row i seeded with seed + i: a row's estimate depends on the
// seed and on where the row sits in the set, never on `chunk` or the device. `progress` (when
// set) is called after each group with the rows done and the total.
std::vector<double> IwaeLogLikelihoods(
    VaeCore& vae, const Tensor& images, const Tensor& labels, int64_t k, uint64_t seed,
    int64_t chunk, const std::function<void(int64_t done, int64_t total)>& progress = {});

struct IwaeResult {
  int64_t k = 0;       // importance samples per image
  int64_t images = 0;  // the first `images` test images were scored
  double nll = 0.0;    // -log p(x) per image, in nats
};

// The negative log-likelihood per image of the first `limit` images of `scored` (all when
// limit <= 0 or beyond the set): binarized images for a run trained on them (Bernoulli
// likelihoods are likelihoods of binary images only; see MeasureTestSet).
IwaeResult MeasureIwae(VaeCore& vae, const Dataset& scored, int64_t k, int64_t limit, int64_t chunk,
                       uint64_t seed,
                       const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace latent

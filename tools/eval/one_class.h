// One-class anomaly detection with autoencoders: train a fresh model on the images of one digit
// only, then score every test image by how badly the model explains it. Images of the other
// digits are the anomalies; AUROC measures how well the score ranks them above the normal ones.
#pragma once

#include <cstdint>
#include <vector>

#include "core/io/dataset.h"
#include "core/io/json.h"
#include "tools/eval/metrics.h"
#include "models/train/trainer.h"

namespace latent {

// What makes an image anomalous to a model.
struct AnomalyScore {
  enum Kind {
    kReconstruction,  // squared reconstruction error, summed over pixels (any model)
    kLikelihood,      // -log p(x), importance-weighted with k samples (VAE family only)
  };
  Kind kind = kReconstruction;
  int64_t k = 100;  // importance samples per image for kLikelihood
};

struct OneClassResult {
  int normal_label = 0;
  double auroc = 0.0;
  std::vector<RocPoint> roc;
};

// For each label in `labels`: a model built from `config` (a run's config.json), initialized
// with options.seed and trained with `options` on train's images of that label, scores every
// test image by `score` (tools/eval/metrics.h Auroc, anomalies = the other labels). Models live on the
// data's device. Throws latent::Error when the score needs a VAE and the config is not one.
std::vector<OneClassResult> OneClassAnomaly(const Json& config, const Dataset& train,
                                            const Dataset& test, const std::vector<int>& labels,
                                            const TrainOptions& options,
                                            const AnomalyScore& score = {});

// Per test image, the score of `score` under `model` (higher = more anomalous).
std::vector<double> AnomalyScores(Model& model, const Dataset& test, const AnomalyScore& score,
                                  uint64_t seed);

}  // namespace latent

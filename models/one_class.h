// One-class anomaly detection with autoencoders: train a fresh model on the images of one digit
// only, then score every test image by how badly the model reconstructs it. Images of the other
// digits are the anomalies; AUROC measures how well the score ranks them above the normal ones.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dataset.h"
#include "core/json.h"
#include "core/metrics.h"
#include "models/trainer.h"

namespace latent {

struct OneClassResult {
  int normal_label = 0;
  double auroc = 0.0;
  std::vector<RocPoint> roc;
};

// For each label in `labels`: a model built from `config` (a run's config.json), initialized
// with options.seed and trained with `options` on train's images of that label, scores the test
// set by squared reconstruction error per image (core/metrics.h Auroc, anomalies = the other
// labels). Models live on the data's device.
std::vector<OneClassResult> OneClassAnomaly(const Json& config, const Dataset& train,
                                            const Dataset& test, const std::vector<int>& labels,
                                            const TrainOptions& options);

}  // namespace latent

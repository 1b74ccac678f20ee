// One-class anomaly detection over every digit (tools/eval/one_class.h): the measure a report
// gives, one model per normal digit and the mean of their AUROCs.
#pragma once

#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "core/io/json.h"
#include "models/train/trainer.h"
#include "tools/eval/one_class.h"

namespace latent {

struct AnomalyResult {
  int epochs = 0;  // of each one-digit model
  AnomalyScore score;
  std::vector<OneClassResult> per_digit;  // normal digit 0, 1, ..., in order
  double mean_auroc = 0.0;
};

// For each digit 0..num_classes-1, a fresh model of `config` (a run's config.json) trained with
// the run's `options` but `epochs` epochs on that digit's training images, scoring every test
// image by `score`.
AnomalyResult MeasureAnomaly(const Json& config, const TrainOptions& options, int epochs,
                             int num_classes, const Dataset& train, const Dataset& test,
                             const AnomalyScore& score);

// A score's name in flags and reports ("recon", "nll") and back; the latter throws
// latent::Error for any other name.
std::string AnomalyScoreName(AnomalyScore::Kind kind);
AnomalyScore::Kind AnomalyScoreKind(const std::string& name);

}  // namespace latent

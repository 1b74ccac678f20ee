// Feature extraction: how much of the digit a linear classifier, and a k-nearest-neighbour vote,
// read from the autoencoder's codes, against the same on the raw pixels and on PCA codes of the
// code's size.
#pragma once

#include <cstdint>
#include <optional>

#include "core/io/dataset.h"
#include "models/model.h"
#include "tools/eval/knn_probe.h"
#include "tools/eval/linear_probe.h"
#include "tools/eval/pca_baseline.h"

namespace latent {

// Test accuracies in [0, 1] of one kind of probe on each representation.
struct ProbeAccuracies {
  double codes = 0.0;         // on the model's codes
  double pixels = 0.0;        // on the raw pixels
  std::optional<double> pca;  // on the PCA codes, when there is a PCA baseline
};

// One probe per representation, each with `options`, trained on train's labels (classes
// 0..num_classes-1). `pca` may be null: no PCA probe. Codes are encoded batch_size at a time.
ProbeAccuracies MeasureProbes(Model& model, const Dataset& train, const Dataset& test,
                              const PcaBaseline* pca, int num_classes, const ProbeOptions& options,
                              int64_t batch_size);

// The same representations, classified by k-NN (tools/eval/knn_probe.h) against train's.
ProbeAccuracies MeasureKnnProbes(Model& model, const Dataset& train, const Dataset& test,
                                 const PcaBaseline* pca, int num_classes, int64_t k,
                                 int64_t batch_size);

}  // namespace latent

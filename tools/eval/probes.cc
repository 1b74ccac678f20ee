#include "tools/eval/probes.h"

#include "tools/eval/analysis.h"

namespace latent {

ProbeAccuracies MeasureProbes(Model& model, const Dataset& train, const Dataset& test,
                              const PcaBaseline* pca, int num_classes, const ProbeOptions& options,
                              int64_t batch_size) {
  const auto accuracy = [&](const Tensor& train_features, const Tensor& test_features) {
    return LinearProbe(train_features, train.labels, test_features, test.labels, num_classes,
                       options)
        .test_accuracy;
  };
  ProbeAccuracies result;
  result.codes = accuracy(EncodeAll(model, train, batch_size), EncodeAll(model, test, batch_size));
  result.pixels = accuracy(train.images, test.images);
  if (pca) result.pca = accuracy(pca->train_codes, pca->test_codes);
  return result;
}

ProbeAccuracies MeasureKnnProbes(Model& model, const Dataset& train, const Dataset& test,
                                 const PcaBaseline* pca, int num_classes, int64_t k,
                                 int64_t batch_size) {
  const auto accuracy = [&](const Tensor& train_features, const Tensor& test_features) {
    return KnnAccuracy(train_features, train.labels, test_features, test.labels, num_classes, k);
  };
  ProbeAccuracies result;
  result.codes = accuracy(EncodeAll(model, train, batch_size), EncodeAll(model, test, batch_size));
  result.pixels = accuracy(train.images, test.images);
  if (pca) result.pca = accuracy(pca->train_codes, pca->test_codes);
  return result;
}

}  // namespace latent

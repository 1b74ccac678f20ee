#include "models/one_class.h"

#include "models/analysis.h"
#include "models/run_dir.h"

namespace latent {

std::vector<OneClassResult> OneClassAnomaly(const Json& config, const Dataset& train,
                                            const Dataset& test, const std::vector<int>& labels,
                                            const TrainOptions& options) {
  const std::vector<int32_t> test_labels = test.labels.ToVector<int32_t>();
  std::vector<OneClassResult> results;
  for (int label : labels) {
    ModelShape shape;
    std::unique_ptr<Model> model = ModelFromConfig(config, &shape);
    model->params().Allocate(train.images.device(), options.seed);
    const Dataset normal = SelectLabel(train, label);
    Train(*model, normal, SelectLabel(test, label), options, [](const EpochMetrics&) {});
    std::vector<bool> anomaly(test_labels.size());
    for (size_t i = 0; i < test_labels.size(); ++i) anomaly[i] = test_labels[i] != label;
    const std::vector<double> scores = ReconstructionErrors(*model, test);
    results.push_back({label, Auroc(scores, anomaly), RocCurve(scores, anomaly)});
  }
  return results;
}

}  // namespace latent

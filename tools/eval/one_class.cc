#include "tools/eval/one_class.h"

#include <algorithm>

#include "kernels/error.h"
#include "models/train/run_dir.h"
#include "models/vae/vae_core.h"
#include "tools/eval/analysis.h"
#include "tools/eval/iwae.h"

namespace latent {

std::vector<double> AnomalyScores(Model& model, const Dataset& test, const AnomalyScore& score,
                                  uint64_t seed) {
  if (score.kind == AnomalyScore::kReconstruction) return ReconstructionErrors(model, test);
  auto* vae = dynamic_cast<VaeCore*>(&model);
  LATENT_CHECK(vae, "the likelihood score needs a VAE-family model (vae, beta-vae, cvae, "
               "conv-vae); use the reconstruction score for other autoencoders");
  std::vector<double> scores;  // at most 500 samples an image per call: kIwaeGroup x 500 rows
  for (double log_px : IwaeLogLikelihoods(*vae, test.images, test.labels, score.k, seed,
                                          std::min<int64_t>(score.k, 500)))
    scores.push_back(-log_px);
  return scores;
}

std::vector<OneClassResult> OneClassAnomaly(const Json& config, const Dataset& train,
                                            const Dataset& test, const std::vector<int>& labels,
                                            const TrainOptions& options,
                                            const AnomalyScore& score) {
  const std::vector<int32_t> test_labels = test.labels.ToVector<int32_t>();
  std::vector<OneClassResult> results;
  for (int label : labels) {
    ModelShape shape;
    std::unique_ptr<Model> model = ModelFromConfig(config, &shape);
    model->params().Allocate(train.images.device(), options.seed);
    Train(*model, SelectLabel(train, label), SelectLabel(test, label), options,
          [](const EpochMetrics&) {});
    std::vector<bool> anomaly(test_labels.size());
    for (size_t i = 0; i < test_labels.size(); ++i) anomaly[i] = test_labels[i] != label;
    const std::vector<double> scores = AnomalyScores(*model, test, score, options.seed);
    results.push_back({label, Auroc(scores, anomaly), RocCurve(scores, anomaly)});
  }
  return results;
}

}  // namespace latent

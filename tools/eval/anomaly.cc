#include "tools/eval/anomaly.h"

#include "kernels/error.h"
#include "tools/eval/analysis.h"

namespace latent {

AnomalyResult MeasureAnomaly(const Json& config, const TrainOptions& options, int epochs,
                             int num_classes, const Dataset& train, const Dataset& test,
                             const AnomalyScore& score) {
  TrainOptions one_digit = options;
  one_digit.epochs = epochs;
  std::vector<int> digits;
  for (int d = 0; d < num_classes; ++d) digits.push_back(d);
  AnomalyResult result;
  result.epochs = epochs;
  result.score = score;
  result.per_digit = OneClassAnomaly(config, train, test, digits, one_digit, score);
  std::vector<double> aurocs;
  for (const OneClassResult& r : result.per_digit) aurocs.push_back(r.auroc);
  result.mean_auroc = Mean(aurocs);
  return result;
}

std::string AnomalyScoreName(AnomalyScore::Kind kind) {
  return kind == AnomalyScore::kLikelihood ? "nll" : "recon";
}

AnomalyScore::Kind AnomalyScoreKind(const std::string& name) {
  if (name == "recon") return AnomalyScore::kReconstruction;
  if (name == "nll") return AnomalyScore::kLikelihood;
  LATENT_FAIL(
      "an anomaly score is recon (squared reconstruction error) or nll (-log p(x)); "
      "found '",
      name, "'");
}

}  // namespace latent

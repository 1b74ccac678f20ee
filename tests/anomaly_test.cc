// The anomaly measure of `latent eval` (tools/eval/anomaly.h): one-class detection for every
// digit with the run's training options but its own epochs, and the mean AUROC; score names.
#include "tools/eval/anomaly.h"

#include <gtest/gtest.h>

#include <vector>

#include "models/train/run_dir.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// n images of 2x2 pixels in three classes: the class's pixel bright, the others dim, with noise.
Dataset ThreeClasses(int64_t n, uint64_t seed) {
  const std::vector<float> u = RandomUniform({n, 4}, seed, 0).ToVector<float>();
  std::vector<float> pixels(n * 4);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int32_t>(i % 3);
    for (int64_t j = 0; j < 4; ++j)
      pixels[i * 4 + j] = 0.3f * u[i * 4 + j] + (j == labels[i] ? 0.7f : 0.0f);
  }
  Dataset d;
  d.height = d.width = 2;
  d.num_classes = 3;
  d.images = Tensor::FromVector(pixels, {n, 4});
  d.labels = Tensor::FromVector(labels, {n});
  return d;
}

TEST(Anomaly, EveryDigitWithTheRunsOptionsButItsOwnEpochs) {
  const Dataset train = ThreeClasses(90, 1), test = ThreeClasses(30, 2);
  const ModelShape shape{2, 2, 3};
  HyperParams values(FindModel("ae").hyperparams);
  values.Set("latent-dim", "2");
  TrainOptions run;
  run.epochs = 50;  // the run's own epochs: not those of the one-digit models
  run.batch_size = 16;
  run.lr = 1e-2;
  run.seed = 3;
  const Json config = RunConfig(FindModel("ae"), values, shape, run, "");
  const AnomalyResult r = MeasureAnomaly(config, run, 2, 3, train, test, AnomalyScore());
  EXPECT_EQ(r.epochs, 2);
  EXPECT_EQ(r.score.kind, AnomalyScore::kReconstruction);
  TrainOptions two_epochs = run;
  two_epochs.epochs = 2;
  const std::vector<OneClassResult> each =
      OneClassAnomaly(config, train, test, {0, 1, 2}, two_epochs);
  ASSERT_EQ(r.per_digit.size(), 3u);
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(r.per_digit[d].normal_label, d);
    EXPECT_EQ(r.per_digit[d].auroc, each[d].auroc) << d;
  }
  EXPECT_DOUBLE_EQ(r.mean_auroc, (each[0].auroc + each[1].auroc + each[2].auroc) / 3);
}

TEST(Anomaly, ScoresHaveNamesBothWays) {
  for (AnomalyScore::Kind kind : {AnomalyScore::kReconstruction, AnomalyScore::kLikelihood})
    EXPECT_EQ(AnomalyScoreKind(AnomalyScoreName(kind)), kind);
  EXPECT_EQ(AnomalyScoreName(AnomalyScore::kReconstruction), "recon");
  EXPECT_EQ(AnomalyScoreName(AnomalyScore::kLikelihood), "nll");
  latent::testing::ExpectErrorContaining([] { AnomalyScoreKind("elbo"); },
                                         {"recon", "nll", "'elbo'"});
}

}  // namespace
}  // namespace latent

// What `latent eval` measures: batched codes and reconstruction errors agree with the model's own
// per-batch numbers, one-digit subsets, reproducible corruption, and one-class anomaly detection
// on a real MNIST slice.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/autograd.h"
#include "core/ops.h"
#include "tools/eval/analysis.h"
#include "tools/eval/one_class.h"
#include "models/train/run_dir.h"
#include "models/train/trainer.h"
#include "models/vae/vae_core.h"
#include "tests/test_util.h"

namespace latent {
namespace {

Dataset TinyDataset() {
  Dataset d;
  d.height = 2;
  d.width = 2;
  d.num_classes = 3;
  d.images = Tensor::FromVector<float>({0, 0, 0, 0,  1, 1, 1, 1,  0.5f, 0, 0, 0.5f,  1, 0, 0, 1,
                                        0.25f, 0.25f, 0.25f, 0.25f},
                                       {5, 4});
  d.labels = Tensor::FromVector<int32_t>({0, 2, 0, 1, 2}, {5});
  return d;
}

TEST(Eval, SelectLabelKeepsExactlyThatLabelInOrder) {
  const Dataset d = TinyDataset();
  const Dataset two = SelectLabel(d, 2);
  ASSERT_EQ(two.size(), 2);
  EXPECT_EQ(two.labels.ToVector<int32_t>(), (std::vector<int32_t>{2, 2}));
  EXPECT_EQ(two.images.ToVector<float>(),
            (std::vector<float>{1, 1, 1, 1, 0.25f, 0.25f, 0.25f, 0.25f}));
  EXPECT_EQ(two.height, 2);
  latent::testing::ExpectErrorContaining([&] { SelectLabel(d, 7); },
                                         {"no example has label 7", "5 examples"});
}

TEST(Eval, RowSquaredErrorsSumEachRow) {
  const Tensor a = Tensor::FromVector<float>({1, 2, 3, 0, 0, 0}, {2, 3});
  const Tensor b = Tensor::FromVector<float>({1, 0, 0, 0, 0, 1}, {2, 3});
  EXPECT_EQ(RowSquaredErrors(a, b), (std::vector<double>{13.0, 1.0}));
  latent::testing::ExpectErrorContaining([&] { RowSquaredErrors(a, b.View({3, 2})); },
                                         {"equal shapes", "(2, 3)", "(3, 2)"});
}

TEST(Eval, CorruptionIsFixedBySeed) {
  const Dataset d = TinyDataset();
  const auto mask = kernels::Corruption::kMask;
  EXPECT_EQ(CorruptAll(d, mask, 0.5, 3).ToVector<float>(),
            CorruptAll(d, mask, 0.5, 3).ToVector<float>());
  EXPECT_NE(CorruptAll(d, kernels::Corruption::kGaussian, 0.5, 3).ToVector<float>(),
            CorruptAll(d, kernels::Corruption::kGaussian, 0.5, 4).ToVector<float>());
}

class EvalMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = latent::testing::MnistDir();
    if (dir_.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  }
  std::string dir_;
};

// Batching must not change a number: the batched helpers against one whole-set call, and the
// squared error against the `sqerr` part the autoencoder reports while training.
TEST_F(EvalMnist, BatchedCodesAndErrorsMatchTheModelsOwnNumbers) {
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 300);
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", {28, 28, 10});
  ae->params().Allocate(Device::Cpu(), 2);
  NoGradGuard no_grad;
  const Tensor codes = EncodeAll(*ae, test, 64);  // 300 = 4 x 64 + 44: a ragged last batch
  ASSERT_EQ(codes.shape(), Shape({300, 32}));
  EXPECT_EQ(codes.ToVector<float>(), ae->Encode(test.images, test.labels).ToVector<float>());
  const std::vector<double> errors = ReconstructionErrors(*ae, test, 64);
  ASSERT_EQ(errors.size(), 300u);
  const double mean = std::accumulate(errors.begin(), errors.end(), 0.0) / 300.0;
  const double sqerr = Evaluate(*ae, test, 100, 1).parts.at("sqerr");
  EXPECT_NEAR(mean, sqerr, 1e-4 * sqerr);
}

// An autoencoder that has only seen ones reconstructs other digits badly: the textbook one-class
// case. Its AUROC must be far above chance (0.5); digit 1 is the easiest normal class.
TEST_F(EvalMnist, OneClassAutoencoderRanksOtherDigitsAsAnomalies) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 6000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 1000);
  const ModelShape shape{28, 28, 10};
  const HyperParams values(FindModel("ae").hyperparams);
  TrainOptions options;
  options.epochs = 3;
  options.batch_size = 64;
  options.lr = 3e-3;
  const Json config = RunConfig(FindModel("ae"), values, shape, options, dir_);
  const std::vector<OneClassResult> r = OneClassAnomaly(config, train, test, {1}, options);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].normal_label, 1);
  EXPECT_GT(r[0].auroc, 0.9);
  ASSERT_GE(r[0].roc.size(), 2u);
  EXPECT_EQ(r[0].roc.front().false_positive_rate, 0.0);
  EXPECT_EQ(r[0].roc.back().true_positive_rate, 1.0);
}

// A VAE of ones, scoring by its own estimate of -log p(x): the likelihood is the score VAEs are
// built to give, and ranks the other digits as anomalous as well as reconstruction error does.
TEST_F(EvalMnist, OneClassVaeRanksOtherDigitsByLikelihood) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 6000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 500);
  const ModelShape shape{28, 28, 10};
  HyperParams values(FindModel("vae").hyperparams);
  values.Set("hidden", "128");
  TrainOptions options;
  options.epochs = 3;
  options.batch_size = 64;
  const Json config = RunConfig(FindModel("vae"), values, shape, options, dir_);
  AnomalyScore nll;
  nll.kind = AnomalyScore::kLikelihood;
  nll.k = 20;
  const std::vector<OneClassResult> r = OneClassAnomaly(config, train, test, {1}, options, nll);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_GT(r[0].auroc, 0.9);

  // The score is -log p(x): for one image it is the negated importance-weighted estimate.
  ModelShape built;
  std::unique_ptr<Model> vae = ModelFromConfig(config, &built);
  vae->params().Allocate(Device::Cpu(), 3);
  const Dataset one = LoadDataset(dir_, "t10k", Device::Cpu(), 1);
  const std::vector<double> scores = AnomalyScores(*vae, one, nll, 7);
  const double log_px = dynamic_cast<VaeCore&>(*vae).ImportanceWeightedLogLikelihood(
      one.images, one.labels, 20, 7, 20)[0];
  EXPECT_EQ(scores, std::vector<double>{-log_px});
  // Autoencoders have no likelihood: the score says which models do.
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", shape);
  ae->params().Allocate(Device::Cpu(), 1);
  latent::testing::ExpectErrorContaining([&] { AnomalyScores(*ae, one, nll, 7); },
                                         {"needs a VAE-family model"});
}

}  // namespace
}  // namespace latent

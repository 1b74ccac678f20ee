// The VAE family on real MNIST slices: each test checks the property that defines its model (beta
// trades KL for reconstruction; a CVAE's label picks the digit it draws; a Gaussian decoder learns
// a finite variance), plus the schedules, the Gaussian NLL and the option paths' gradients. The
// convolutional models are in tests/variants_conv_test.cc.
//
// The slices are small so that each test runs in seconds on a busy 2-core CPU; every bound below
// says why it separates a working model from a broken one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/gradcheck.h"
#include "core/nn.h"
#include "core/optim.h"
#include "core/random.h"
#include "models/train/trainer.h"
#include "models/vae/vae_core.h"
#include "tests/test_util.h"

namespace latent {
namespace {

const ModelShape kMnist{28, 28, 10};

class VariantMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = latent::testing::MnistDir();
    if (dir_.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  }
  // Trains with Adam (lr 1e-3, seed 1) and returns the history of its epochs.
  std::vector<EpochMetrics> TrainModel(Model& model, const Dataset& train, const Dataset& test,
                                       int epochs, int64_t batch_size) {
    TrainOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    return Train(model, train, test, options, [](auto&) {});
  }
  std::string dir_;
};

std::unique_ptr<Model> Build(const std::string& name, const std::vector<std::string>& overrides) {
  std::unique_ptr<Model> model = latent::testing::MakeModel(name, kMnist, overrides);
  model->params().Allocate(Device::Cpu(), 1);
  return model;
}

// The KL weight of each schedule at chosen steps, against the formulas of models/vae/vae_core.h
// worked out by hand (beta = 4, W = 100 warm-up steps, T = 100 steps per cycle).
TEST(VariantKlSchedule, WeightsFollowTheFormulas) {
  KlSchedule linear{KlSchedule::kLinear, 4.0, 100, 100};
  EXPECT_DOUBLE_EQ(linear.Weight({1, 0, true}), 0.0);
  EXPECT_DOUBLE_EQ(linear.Weight({1, 25, true}), 1.0);    // 4 * 25 / 100
  EXPECT_DOUBLE_EQ(linear.Weight({1, 100, true}), 4.0);
  EXPECT_DOUBLE_EQ(linear.Weight({1, 5000, true}), 4.0);  // stays at beta after the warm-up
  EXPECT_DOUBLE_EQ(linear.Weight({1, 0, false}), 4.0);    // evaluation: the full beta
  KlSchedule cyclical{KlSchedule::kCyclical, 4.0, 100, 100};
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 25, true}), 2.0);   // tau = 1/4: half-way up the ramp
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 50, true}), 4.0);   // tau = 1/2: the ramp's end
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 99, true}), 4.0);   // flat second half
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 100, true}), 0.0);  // the next cycle restarts at 0
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 125, true}), 2.0);
  EXPECT_DOUBLE_EQ(cyclical.Weight({1, 30, false}), 4.0);
  KlSchedule constant{KlSchedule::kConstant, 4.0, 100, 100};
  EXPECT_DOUBLE_EQ(constant.Weight({1, 0, true}), 4.0);
}

// Whole-loss gradients of the option paths that the registry defaults do not take (ModelGradCheck
// in tests/models_test.cc checks the defaults): f64, fixed noise, the op-table tolerances, narrow
// layers (hidden 8) because every parameter costs two loss evaluations.
struct OptionCase {
  const char* label;
  const char* model;
  std::vector<std::string> overrides;
};
void PrintTo(const OptionCase& c, std::ostream* os) { *os << c.label; }

class VariantOptionsGradCheck : public ::testing::TestWithParam<OptionCase> {};

TEST_P(VariantOptionsGradCheck, LossGradientMatchesCentralDifferences) {
  const OptionCase& c = GetParam();
  const bool conv = std::string(c.model).rfind("conv-", 0) == 0;
  const ModelShape shape = conv ? ModelShape{4, 8, 10} : ModelShape{3, 4, 10};
  std::unique_ptr<Model> model = latent::testing::MakeModel(c.model, shape, c.overrides);
  model->params().Allocate(Device::Cpu(), 5, DType::kF64);
  const Tensor x = RandomUniform({5, shape.features()}, 11, 0, DType::kF64);
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1, 2, 3, 4}, {5});
  auto loss = [&] { return model->Loss(x, labels, {3, 17, true}).loss; };
  std::vector<Tensor> params;
  std::vector<std::string> names;
  for (int i = 0; i < model->params().size(); ++i) {
    params.push_back(model->params()[i]);
    names.push_back(model->params().name(i));
  }
  for (const GradCheckEntry& e : GradCheck(loss, params, names, 1e-6, 1e-5))
    EXPECT_TRUE(e.passed) << c.label << " " << e.name << ": max abs error " << e.max_abs_error
                          << ", max rel error " << e.max_rel_error;
}

// Step 17 of the check sits inside the linear warm-up (W = 40) and on the cyclical ramp (T = 50),
// so the KL weight is strictly between 0 and beta.
INSTANTIATE_TEST_SUITE_P(
    Options, VariantOptionsGradCheck,
    ::testing::Values(
        OptionCase{"vae_gaussian_fixed", "vae", {"latent-dim=3", "hidden=8", "decoder=gaussian"}},
        OptionCase{"vae_gaussian_learned", "vae",
                   {"latent-dim=3", "hidden=8", "decoder=gaussian", "variance=learned"}},
        OptionCase{"beta_vae_linear", "beta-vae",
                   {"latent-dim=3", "hidden=8", "schedule=linear", "warmup-steps=40"}},
        OptionCase{"beta_vae_cyclical", "beta-vae",
                   {"latent-dim=3", "hidden=8", "schedule=cyclical", "cycle-steps=50"}},
        OptionCase{"conv_vae_gaussian_learned", "conv-vae",
                   {"latent-dim=3", "channels=2", "decoder=gaussian", "variance=learned"}}),
    [](const auto& info) { return std::string(info.param.label); });

// vae, cvae and conv-vae take the KL warm-up too: at training step t their loss is
// recon + min(1, t / W) kl, with the parts the same call reports (W = 8: weights 0, 1/2, 1, 1 at
// steps 0, 4, 8, 100); evaluation weighs the KL fully from step 0. In double precision, because
// the KL of a freshly initialized model is small (0.01-0.4 nats here) beside a recon of ~2000,
// whose f32 rounding alone would blur the weight by several percent.
TEST(VariantKlSchedule, EveryVaeWarmsUpItsKl) {
  const Tensor x = RandomUniform({4, kMnist.features()}, 3, 0, DType::kF64);
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1, 2, 3}, {4});
  const std::vector<std::string> warmup = {"latent-dim=3", "schedule=linear", "warmup-steps=8"};
  for (const char* name : {"vae", "cvae", "conv-vae", "vamp-vae", "gmm-vae"}) {
    std::vector<std::string> overrides = warmup;
    overrides.push_back(std::string(name) == "conv-vae" ? "channels=2" : "hidden=16");
    if (std::string(name) == "vamp-vae") overrides.push_back("pseudo-inputs=3");
    std::unique_ptr<Model> model = latent::testing::MakeModel(name, kMnist, overrides);
    model->params().Allocate(Device::Cpu(), 1, DType::kF64);
    NoGradGuard no_grad;
    const auto weight_at = [&](uint64_t step, bool training) {
      const LossOutput out = model->Loss(x, labels, {1, step, training});
      const double recon = out.parts.at(0).second.item(), kl = out.parts.at(1).second.item();
      // A KL of 0 would let any weight pass (vamp-vae's and gmm-vae's are one-sample estimates,
      // of either sign).
      EXPECT_GT(std::abs(kl), 1e-3) << name;
      return (out.loss.item() - recon) / kl;
    };
    // Rounding: about 1e-16 |loss| / kl < 1e-10.
    EXPECT_NEAR(weight_at(0, true), 0.0, 1e-9) << name;
    EXPECT_NEAR(weight_at(4, true), 0.5, 1e-9) << name;
    EXPECT_NEAR(weight_at(8, true), 1.0, 1e-9) << name;
    EXPECT_NEAR(weight_at(100, true), 1.0, 1e-9) << name;
    EXPECT_NEAR(weight_at(0, false), 1.0, 1e-9) << name;
  }
}

// The "beta" part is beta_t summed over rows, so the trainer's per-image average is the mean KL
// weight of the epoch. 512 images in batches of 128 are steps 0-3, 4-7, 8-11; with W = 8 and
// beta = 2 the weights are 2 t / 8, so the epochs average 2 (0+1+2+3)/32 = 0.375,
// 2 (4+5+6+7)/32 = 1.375, then 2; evaluation always uses the full beta.
TEST_F(VariantMnist, BetaPartIsTheMeanKlWeightOfTheEpoch) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 512);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 128);
  std::unique_ptr<Model> model =
      Build("beta-vae", {"hidden=16", "beta=2", "schedule=linear", "warmup-steps=8"});
  const std::vector<EpochMetrics> h = TrainModel(*model, train, test, 3, 128);
  EXPECT_NEAR(h[0].train.parts.at("beta"), 0.375, 1e-6);
  EXPECT_NEAR(h[1].train.parts.at("beta"), 1.375, 1e-6);
  EXPECT_NEAR(h[2].train.parts.at("beta"), 2.0, 1e-6);
  EXPECT_NEAR(h[0].test.parts.at("beta"), 2.0, 1e-6);
}

// Higgins et al.: a larger beta presses q(z|x) towards the prior, so the trained model carries
// fewer nats in its code (smaller KL) and pays with a worse reconstruction. Same seed, data and
// steps for both; only beta differs. Hidden width 100 keeps it fast (the effect needs no width).
TEST_F(VariantMnist, BetaVaeLargerBetaGivesSmallerKl) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 3000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 1000);
  auto run = [&](const char* beta) {
    std::unique_ptr<Model> model = Build("beta-vae", {"hidden=100", std::string("beta=") + beta});
    return TrainModel(*model, train, test, 3, 128).back().test.parts;
  };
  const auto beta1 = run("1"), beta4 = run("4");
  std::printf("beta=1: kl %.2f recon %.2f   beta=4: kl %.2f recon %.2f\n", beta1.at("kl"),
              beta1.at("recon"), beta4.at("kl"), beta4.at("recon"));
  // A beta that did not reach the gradient would leave the two KLs equal up to the noise of one
  // seed (a few percent); requiring a quarter less asks for a clear effect (about 3x measured).
  EXPECT_LT(beta4.at("kl"), 0.75 * beta1.at("kl"));
  EXPECT_GT(beta4.at("kl"), 0.0);
  EXPECT_GT(beta4.at("recon"), beta1.at("recon"));  // the price of the smaller KL
}

// The Gaussian NLL against its formula, by hand: logits 0 give the mean sigmoid(0) = 1/2, so with
// x = (0, 1/4, 1, 1/2) the squared errors are 1/4, 1/16, 1/4, 0 (sum 9/16) and
//   -log p = 1/2 [9/16 / sigma^2 + 4 log sigma^2 + 4 log 2 pi].
// The learned variance starts at --sigma, so both paths give the same number at initialization.
TEST(VariantLikelihood, GaussianNllMatchesTheFormula) {
  const Tensor logits = Tensor::Zeros({1, 4}, DType::kF64);
  const Tensor x = Tensor::FromVector<double>({0.0, 0.25, 1.0, 0.5}, {1, 4});
  const double sigma2 = 0.3 * 0.3;
  const double expected = 0.5 * (0.5625 / sigma2 + 4 * std::log(sigma2) + 4 * std::log(2 * M_PI));
  for (const char* variance : {"fixed", "learned"}) {
    LikelihoodConfig config;
    config.decoder = LikelihoodConfig::kGaussian;
    config.variance =
        std::string(variance) == "learned" ? LikelihoodConfig::kLearned : LikelihoodConfig::kFixed;
    config.sigma = 0.3;
    Parameters params;
    const Likelihood likelihood(config, params);
    EXPECT_EQ(params.size(), std::string(variance) == "learned" ? 1 : 0);
    params.Allocate(Device::Cpu(), 1, DType::kF64);
    // 1e-7: the learned start 2 log sigma is stored through the f32 initializer.
    EXPECT_NEAR(likelihood.Nll(logits, x).item(), expected, 1e-7) << variance;
  }
}

// A Gaussian decoder with one learned variance trains: the test loss falls, and log sigma^2 stays
// finite and moves the right way. It starts at 2 log 0.1 (--sigma); a model after 72 steps
// reconstructs with a per-pixel squared error well above 0.1^2 (blurry digits), and the NLL's
// derivative n/2 (1 - mse / sigma^2) is then negative, so descent must raise log sigma^2; it must
// stay below 0 because pixels and means both lie in [0, 1], so no squared error reaches 1.
TEST_F(VariantMnist, VaeGaussianDecoderLearnsAFiniteVariance) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 3000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 1000);
  std::unique_ptr<Model> vae =
      Build("vae", {"hidden=200", "decoder=gaussian", "variance=learned"});
  const Evaluation before = Evaluate(*vae, test, 500, 1);
  const std::vector<EpochMetrics> h = TrainModel(*vae, train, test, 3, 128);
  EXPECT_LT(h.back().test.loss, before.loss);
  EXPECT_LT(h[2].test.loss, h[0].test.loss);
  EXPECT_GT(h.back().test.parts.at("kl"), 0.0);
  double log_variance = NAN;
  for (int i = 0; i < vae->params().size(); ++i)
    if (vae->params().name(i) == "decoder.log_variance") log_variance = vae->params()[i].item();
  std::printf("gaussian vae: test loss %.1f -> %.1f, log sigma^2 %.3f\n", before.loss,
              h.back().test.loss, log_variance);
  EXPECT_TRUE(std::isfinite(log_variance));
  EXPECT_GT(log_variance, 2 * std::log(0.1));
  EXPECT_LT(log_variance, 0.0);
}

// Softmax regression 784 -> 10 trained with Adam on real digits: the judge of the CVAE's samples,
// independent of the code under test but for the shared ops.
class DigitClassifier {
 public:
  DigitClassifier(const Dataset& train, int epochs) {
    fc_ = LinearLayer(params_, "fc", train.features(), train.num_classes);
    params_.Allocate(Device::Cpu(), 7);
    Adam adam(params_, 1e-2);  // lr 1e-2: a convex problem, no need for the VAE's 1e-3
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      BatchSampler batches(train, 128, /*shuffle=*/true, 7, epoch);
      for (int64_t b = 0; b < batches.num_batches(); ++b) {
        Tensor loss = Sum(SoftmaxCrossEntropy(fc_(batches.Images(b)), batches.Labels(b)));
        adam.ZeroGrad();
        loss.Backward();
        adam.Step();
      }
    }
  }
  // The fraction of `images` (N, 784) whose arg-max class is `labels[i]`.
  double Accuracy(const Tensor& images, const std::vector<int32_t>& labels) const {
    NoGradGuard no_grad;
    const std::vector<float> logits = fc_(images).ToVector<float>();
    const int64_t classes = fc_.out();
    int correct = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      const float* row = logits.data() + i * classes;
      correct += std::max_element(row, row + classes) - row == labels[i];
    }
    return static_cast<double>(correct) / static_cast<double>(labels.size());
  }

 private:
  Parameters params_;
  LinearLayer fc_;
};

// Sohn et al.: the label is an input of the decoder, so a sample drawn with label k should be a
// k. A CVAE that ignored its label would match it one time in ten (chance); the classifier
// itself gets about 9 real digits in 10 right (checked first: at least 85%, else its verdict on
// samples would mean little). 70% is far above chance and leaves room for the blur of a model
// trained for 375 steps. The code is 2-d here: z then cannot carry a digit's identity as cheaply
// as the label does, so the decoder learns to read the label within this budget (with the default
// 20-d code that takes longer; docs/models.md scores the fully trained default).
TEST_F(VariantMnist, CvaeSamplesAreRecognisedAsTheirLabel) {
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 4000);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 1000);
  const DigitClassifier classifier(train, 5);
  const double real_accuracy = classifier.Accuracy(test.images, test.labels.ToVector<int32_t>());
  EXPECT_GE(real_accuracy, 0.85);

  std::unique_ptr<Model> cvae = Build("cvae", {"latent-dim=2"});
  TrainModel(*cvae, train, test, 3, 32);
  NoGradGuard no_grad;
  std::vector<int32_t> labels(200);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>(i * 7 % 10);
  const Tensor given = cvae->Sample(200, 3, Tensor::FromVector<int32_t>(labels, {200}));
  const double sample_accuracy = classifier.Accuracy(given, labels);
  // Without labels, Sample cycles 0, 1, ..., 9: the same check with those labels.
  std::vector<int32_t> cycle(200);
  for (size_t i = 0; i < cycle.size(); ++i) cycle[i] = static_cast<int32_t>(i % 10);
  const double cycle_accuracy = classifier.Accuracy(cvae->Sample(200, 4, Tensor()), cycle);
  std::printf("classifier on real digits %.3f, on CVAE samples %.3f (cycled labels %.3f)\n",
              real_accuracy, sample_accuracy, cycle_accuracy);
  EXPECT_GE(sample_accuracy, 0.7);
  EXPECT_GE(cycle_accuracy, 0.7);
}

}  // namespace
}  // namespace latent

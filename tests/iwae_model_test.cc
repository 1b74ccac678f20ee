// The defining properties of the iwae model (models/vae/iwae.cc): with one sample its loss is the
// one-sample ELBO, written here from the textbook densities; more samples give a tighter bound
// in expectation. Its whole-loss gradient check runs with every registered model's
// (tests/models_test.cc, k = 3 from the gradient-check setting).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "core/autograd.h"
#include "core/random.h"
#include "models/vae/vae_core.h"
#include "tests/test_util.h"

namespace latent {
namespace {

const ModelShape kTiny{3, 4, 10};
constexpr int64_t kBatch = 5, kLatent = 3;
constexpr double kLog2Pi = 1.8378770664093454836;

std::unique_ptr<Model> TinyIwae(int64_t k, DType dtype) {
  std::unique_ptr<Model> model = testing::MakeModel(
      "iwae", kTiny, {"samples=" + std::to_string(k), "latent-dim=3", "hidden=6"});
  model->params().Allocate(Device::Cpu(), /*seed=*/4, dtype);
  return model;
}

// k = 1: loss = sum_b -log p(x_b|z_b) + log q(z_b|x_b) - log p(z_b), z_b = mu_b + sigma_b eps_b,
// eps the training (or evaluation) stream of the step. Bernoulli -log p(x|z) from the decoder's
// probabilities, and both Gaussian log-densities with their log 2 pi terms: nothing shared with
// the model's code but the encoder, the decoder and the noise.
TEST(IwaeModel, OneSampleLossIsTheElboWithTheKlDrawnFromTheSameSample) {
  std::unique_ptr<Model> model = TinyIwae(1, DType::kF64);
  VaeCore& vae = dynamic_cast<VaeCore&>(*model);
  const Tensor x = RandomUniform({kBatch, kTiny.features()}, 11, 0, DType::kF64);
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training stream" : "evaluation stream");
    const StepContext ctx{3, 17, training};
    const double loss = model->Loss(x, Tensor(), ctx).loss.item();

    NoGradGuard no_grad;
    const VaeCore::Posterior q = vae.EncodePosterior(x, Tensor());
    const std::vector<double> mu = q.mu.ToVector<double>(), logvar = q.logvar.ToVector<double>();
    const Stream stream = training ? Stream::kNoise : Stream::kEval;
    const std::vector<double> eps =
        RandomNormal({kBatch, kLatent}, ctx.seed, StreamOffset(stream, ctx.step), DType::kF64)
            .ToVector<double>();
    std::vector<double> z(mu.size());
    for (size_t i = 0; i < z.size(); ++i) z[i] = mu[i] + std::exp(logvar[i] / 2) * eps[i];
    const std::vector<double> p =
        vae.Decode(Tensor::FromVector(z, {kBatch, kLatent}), Tensor()).ToVector<double>();
    const std::vector<double> pixels = x.ToVector<double>();
    double want = 0;
    for (int64_t b = 0; b < kBatch; ++b) {
      for (int64_t j = 0; j < kTiny.features(); ++j) {
        const double t = pixels[b * kTiny.features() + j], s = p[b * kTiny.features() + j];
        want -= t * std::log(s) + (1 - t) * std::log(1 - s);
      }
      for (int64_t d = 0; d < kLatent; ++d) {
        const int64_t i = b * kLatent + d;
        const double log_q = -0.5 * (kLog2Pi + logvar[i] +
                                     (z[i] - mu[i]) * (z[i] - mu[i]) / std::exp(logvar[i]));
        const double log_p = -0.5 * (kLog2Pi + z[i] * z[i]);
        want += log_q - log_p;
      }
    }
    // f64 throughout: the two sides differ by the rounding of a few hundred terms.
    EXPECT_NEAR(loss, want, 1e-10 * std::fabs(want));
  }
}

// E[L_5] > E[L_1] (Burda et al., theorem 1; strictly, as the weights of an untrained model vary).
// L_k = -loss / B per step seed; the two bounds use independent noise, so the n differences are
// independent with standard error s / sqrt(n). A correct bound passes by a wide margin (the gap
// measured here is ~17 standard errors); a log-sum-exp replaced by a mean of log weights (the
// k-sample average ELBO, whose expectation equals L_1's) fails with probability 1 - Phi(-3).
TEST(IwaeModel, FiveSamplesBoundTheLikelihoodMoreTightlyThanOneInExpectation) {
  std::unique_ptr<Model> one = TinyIwae(1, DType::kF32), five = TinyIwae(5, DType::kF32);
  const Tensor x = RandomUniform({20, kTiny.features()}, 12, 0);
  NoGradGuard no_grad;
  constexpr int kSeeds = 200;
  double sum = 0, sum_sq = 0;
  for (int s = 1; s <= kSeeds; ++s) {
    const StepContext ctx{static_cast<uint64_t>(s), 0, true};
    const double l1 = -one->Loss(x, Tensor(), ctx).loss.item() / 20;
    const double l5 = -five->Loss(x, Tensor(), ctx).loss.item() / 20;
    sum += l5 - l1;
    sum_sq += (l5 - l1) * (l5 - l1);
  }
  const double mean = sum / kSeeds;
  const double se = std::sqrt((sum_sq / kSeeds - mean * mean) / (kSeeds - 1));
  std::printf("E[L_5 - L_1] = %.4f nats per image, standard error %.4f\n", mean, se);
  EXPECT_GT(mean, 3 * se);
}

// The parts: recon + kl is the k-sample average of the one-sample ELBO terms, which bounds the
// loss from above (Jensen: log of a mean >= mean of logs), with equality at k = 1.
TEST(IwaeModel, PartsAreTheAverageElboAboveTheBound) {
  const Tensor x = RandomUniform({kBatch, kTiny.features()}, 11, 0, DType::kF64);
  for (int64_t k : {1, 4}) {
    std::unique_ptr<Model> model = TinyIwae(k, DType::kF64);
    const LossOutput out = model->Loss(x, Tensor(), {3, 5, true});
    ASSERT_EQ(out.parts.size(), 2u);
    const double loss = out.loss.item();
    const double elbo = out.parts[0].second.item() + out.parts[1].second.item();
    if (k == 1) {
      EXPECT_NEAR(elbo, loss, 1e-10 * std::fabs(loss));
    } else {
      EXPECT_GT(elbo, loss);
    }
  }
}

}  // namespace
}  // namespace latent

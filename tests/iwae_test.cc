// The importance-weighted estimate of log p(x) (VaeCore::ImportanceWeightedLogLikelihood, Burda et
// al. 2015) against answers known in closed form: the one-sample log weight written out from the
// densities, and the exact log p(x) of a model with a 1-D latent by dense quadrature over z.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/vae/vae_core.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

constexpr double kLog2Pi = 1.8378770664093454836;

struct TinyVae {
  std::unique_ptr<Model> model;
  VaeCore* vae = nullptr;
};

TinyVae Build(const std::string& name, const ModelShape& shape,
              const std::vector<std::string>& overrides, DType dtype, uint64_t seed = 5) {
  TinyVae t;
  t.model = latent::testing::MakeModel(name, shape, overrides);
  t.model->params().Allocate(Device::Cpu(), seed, dtype);
  t.vae = dynamic_cast<VaeCore*>(t.model.get());
  return t;
}

// Binary images: pixel on with a probability of its own, drawn uniformly.
Tensor BinaryImages(int64_t B, int64_t F, DType dtype, uint64_t seed) {
  return Bernoulli(RandomUniform({B, F}, seed, 0, dtype), seed, 1);
}

// log p(x|z) per row from the decoder's means m = Decode(z): Bernoulli, or Gaussian with variance
// sigma2 (sigma2 <= 0 selects Bernoulli).
std::vector<double> LogLikelihoodRows(const std::vector<double>& x, const std::vector<double>& m,
                                      int64_t B, int64_t F, double sigma2) {
  std::vector<double> out(B, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t f = 0; f < F; ++f) {
      const double xi = x[b * F + f], mi = m[b * F + f];
      out[b] += sigma2 > 0 ? -0.5 * ((xi - mi) * (xi - mi) / sigma2 + std::log(sigma2) + kLog2Pi)
                           : std::log(xi == 1 ? mi : 1 - mi);
    }
  }
  return out;
}

// --- the per-row likelihood ----------------------------------------------------------------------

// RowNll gives each row its own NLL: the rows sum to Nll, a row's value is that of the row alone,
// and the learned variance's gradient flows through the per-row broadcast as through Nll.
TEST(IwaeRowNll, RowsSumToNllAndTheLearnedVarianceGetsTheSameGradient) {
  const Tensor logits = RandomNormal({3, 5}, 4, 0, DType::kF64);
  const Tensor x = RandomUniform({3, 5}, 4, 1, DType::kF64);
  for (const char* decoder : {"bernoulli", "fixed", "learned"}) {
    LikelihoodConfig config;
    if (std::string(decoder) != "bernoulli") {
      config.decoder = LikelihoodConfig::kGaussian;
      config.variance =
          std::string(decoder) == "fixed" ? LikelihoodConfig::kFixed : LikelihoodConfig::kLearned;
      config.sigma = 0.3;
    }
    Parameters params;
    const Likelihood likelihood(config, params);
    params.Allocate(Device::Cpu(), 1, DType::kF64);
    const Tensor rows = likelihood.RowNll(logits, x);
    ASSERT_EQ(rows.shape(), Shape({3})) << decoder;
    const std::vector<double> r = rows.ToVector<double>();
    EXPECT_NEAR(r[0] + r[1] + r[2], likelihood.Nll(logits, x).item(), 1e-12) << decoder;
    EXPECT_NEAR(r[1], likelihood.Nll(logits.Rows(1, 2), x.Rows(1, 2)).item(), 1e-12) << decoder;
    if (params.size() == 0) continue;
    params.ZeroGrad();
    Sum(likelihood.RowNll(logits, x)).Backward();
    const double row_grad = params.flat_grads().ToVector<double>()[0];
    params.ZeroGrad();
    likelihood.Nll(logits, x).Backward();
    EXPECT_NEAR(row_grad, params.flat_grads().ToVector<double>()[0], 1e-10);
    EXPECT_NE(row_grad, 0.0);
  }
}

// --- k = 1: the log weight of one sample, written out from the densities ----------------------

struct SingleSampleCase {
  const char* label;
  const char* model;
  std::vector<std::string> overrides;
  double sigma2;  // the Gaussian decoder's variance; 0 for Bernoulli
  bool learned;   // sigma2 is written into decoder.log_variance (otherwise --sigma fixes it)
};
void PrintTo(const SingleSampleCase& c, std::ostream* os) { *os << c.label; }

class IwaeSingleSample : public ::testing::TestWithParam<SingleSampleCase> {};

// log w = log p(x|z) + log N(z; 0, I) - log N(z; mu, diag e^logvar), z = mu + e^(logvar/2) eps with
// eps the documented noise of sample 0; f64 throughout, so only rounding separates the two.
TEST_P(IwaeSingleSample, KOneIsTheLogWeightOfThatSample) {
  const SingleSampleCase& c = GetParam();
  const bool conv = std::string(c.model).rfind("conv-", 0) == 0;
  const ModelShape shape = conv ? ModelShape{4, 8, 10} : ModelShape{3, 4, 10};
  TinyVae t = Build(c.model, shape, c.overrides, DType::kF64);
  ASSERT_NE(t.vae, nullptr);
  if (c.learned) {
    for (int i = 0; i < t.model->params().size(); ++i) {
      if (t.model->params().name(i) != "decoder.log_variance") continue;
      Tensor p = t.model->params()[i];
      p.CopyFrom(Tensor::Full({1}, std::log(c.sigma2), DType::kF64));
    }
  }
  const int64_t B = 4, F = shape.features(), D = t.vae->code_size();
  const Tensor x = c.sigma2 > 0 ? RandomUniform({B, F}, 21, 0, DType::kF64)
                                : BinaryImages(B, F, DType::kF64, 21);
  const Tensor labels = Tensor::FromVector<int32_t>({3, 0, 7, 1}, {B});
  const uint64_t seed = 77;
  const std::vector<double> got = t.vae->ImportanceWeightedLogLikelihood(x, labels, 1, seed, 1);
  ASSERT_EQ(got.size(), static_cast<size_t>(B));

  NoGradGuard no_grad;
  const VaeCore::Posterior q = t.vae->EncodePosterior(x, labels);
  const std::vector<double> mu = q.mu.ToVector<double>(), logvar = q.logvar.ToVector<double>();
  const std::vector<double> eps =
      RandomNormal({B, D}, seed, VaeCore::ImportanceNoiseOffset(0), DType::kF64)
          .ToVector<double>();
  std::vector<double> z(B * D), log_prior(B, 0.0), log_q(B, 0.0);
  for (int64_t i = 0; i < B * D; ++i) {
    z[i] = mu[i] + std::exp(0.5 * logvar[i]) * eps[i];
    const double var = std::exp(logvar[i]);
    log_prior[i / D] += -0.5 * (z[i] * z[i] + kLog2Pi);
    log_q[i / D] += -0.5 * ((z[i] - mu[i]) * (z[i] - mu[i]) / var + logvar[i] + kLog2Pi);
  }
  const std::vector<double> mean =
      t.vae->Decode(Tensor::FromVector<double>(z, {B, D}), labels).ToVector<double>();
  const std::vector<double> log_px =
      LogLikelihoodRows(x.ToVector<double>(), mean, B, F, c.sigma2);
  for (int64_t b = 0; b < B; ++b) {
    const double expected = log_px[b] + log_prior[b] - log_q[b];
    EXPECT_NEAR(got[b], expected, 1e-10 * std::max(1.0, std::abs(expected))) << "row " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Decoders, IwaeSingleSample,
    ::testing::Values(
        SingleSampleCase{"vae", "vae", {"latent-dim=3", "hidden=8"}, 0, false},
        // beta weights the training KL only: log p(x) has no beta in it.
        SingleSampleCase{"beta_vae", "beta-vae", {"latent-dim=3", "hidden=8", "beta=4"}, 0, false},
        SingleSampleCase{"cvae", "cvae", {"latent-dim=3", "hidden=8"}, 0, false},
        SingleSampleCase{"conv_vae", "conv-vae", {"latent-dim=3", "channels=2"}, 0, false},
        SingleSampleCase{"vae_gaussian_fixed", "vae",
                         {"latent-dim=3", "hidden=8", "decoder=gaussian", "sigma=0.3"}, 0.09,
                         false},
        SingleSampleCase{"vae_gaussian_learned", "vae",
                         {"latent-dim=3", "hidden=8", "decoder=gaussian", "variance=learned"},
                         0.04, true},
        SingleSampleCase{"conv_vae_gaussian_learned", "conv-vae",
                         {"latent-dim=3", "channels=2", "decoder=gaussian", "variance=learned"},
                         0.25, true}),
    [](const auto& info) { return std::string(info.param.label); });

// --- a 1-D latent: log p(x) = log int p(x|z) N(z; 0, 1) dz by quadrature -------------------------

// The 16 binary 2x2 images under a vae with a 1-D latent. Its weights are doubled so that p(x|z)
// varies strongly with z (a narrow posterior, a large gap between the ELBO and log p(x)), and q is
// made N(mu(x), 1.5^2): wider than the prior, so every importance weight p(x|z) N(z; 0, 1) / q(z)
// is at most N(z; 0, 1) / q(z), a bounded ratio. The estimator's variance is then finite, and a
// rare huge weight cannot upset the large-k comparison.
class IwaeOneDimensional : public ::testing::Test {
 protected:
  void SetUp() override {
    t_ = Build("vae", {2, 2, 10}, {"latent-dim=1", "hidden=6"}, DType::kF64, 3);
    NoGradGuard no_grad;
    Parameters& params = t_.model->params();
    params.flat_values().CopyFrom(Scale(params.flat_values(), 2.0));
    for (int i = 0; i < params.size(); ++i) {
      Tensor p = params[i];
      if (params.name(i) == "encoder.fc_logvar.weight") p.Fill(0.0);
      if (params.name(i) == "encoder.fc_logvar.bias") p.Fill(std::log(1.5 * 1.5));
    }
    std::vector<double> x(16 * 4);
    for (int image = 0; image < 16; ++image)
      for (int pixel = 0; pixel < 4; ++pixel) x[image * 4 + pixel] = (image >> pixel) & 1;
    x_ = Tensor::FromVector<double>(x, {16, 4});
    Quadrature();
  }

  // Trapezoid rule on z in [-L, L], step h; the integrands are smooth and, beyond |z| = 12, below
  // e^-72 of their peak, so the rule's error is far under the tolerances below.
  void Quadrature() {
    const double L = 12.0, h = 1e-3;
    const int64_t n = static_cast<int64_t>(2 * L / h) + 1;
    std::vector<double> z(n);
    for (int64_t i = 0; i < n; ++i) z[i] = -L + h * static_cast<double>(i);
    NoGradGuard no_grad;
    const std::vector<double> mean =
        t_.model->Decode(Tensor::FromVector<double>(z, {n, 1}), Tensor()).ToVector<double>();
    const VaeCore::Posterior q = t_.vae->EncodePosterior(x_, Tensor());
    const std::vector<double> x = x_.ToVector<double>(), mu = q.mu.ToVector<double>(),
                              logvar = q.logvar.ToVector<double>();
    for (int image = 0; image < 16; ++image) {
      // log p(x|z_i) + log N(z_i; 0, 1), then log-sum-exp with weights h (1/2 at the ends).
      std::vector<double> log_joint(n);
      double top = -INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        double lp = -0.5 * (z[i] * z[i] + kLog2Pi);
        for (int pixel = 0; pixel < 4; ++pixel) {
          const double m = mean[i * 4 + pixel], xi = x[image * 4 + pixel];
          lp += std::log(xi == 1 ? m : 1 - m);  // -inf where f64 rounds m to 0 or 1
        }
        log_joint[i] = lp;
        top = std::max(top, lp);
      }
      double sum = 0, elbo = 0;
      const double var = std::exp(logvar[image]);
      for (int64_t i = 0; i < n; ++i) {
        const double w = (i == 0 || i == n - 1) ? 0.5 * h : h;
        sum += w * std::exp(log_joint[i] - top);
        // ELBO = int q(z) [log p(x, z) - log q(z)] dz
        const double log_q = -0.5 * ((z[i] - mu[image]) * (z[i] - mu[image]) / var +
                                     logvar[image] + kLog2Pi);
        if (std::exp(log_q) > 0) elbo += w * std::exp(log_q) * (log_joint[i] - log_q);
      }
      log_px_.push_back(top + std::log(sum));
      elbo_.push_back(elbo);
    }
  }

  // The k-sample estimates of all images under `repeats` seeds, minus each image's `reference`.
  std::vector<double> Deviations(int64_t k, int repeats, const std::vector<double>& reference) {
    std::vector<double> out;
    for (int r = 0; r < repeats; ++r) {
      const std::vector<double> est =
          t_.vae->ImportanceWeightedLogLikelihood(x_, Tensor(), k, 1000 + r, 64);
      for (int image = 0; image < 16; ++image) out.push_back(est[image] - reference[image]);
    }
    return out;
  }

  TinyVae t_;
  Tensor x_;
  std::vector<double> log_px_, elbo_;  // exact, per image
};

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

// The standard error of Mean(v), from v's own spread.
double StandardError(const std::vector<double>& v) {
  const double m = Mean(v);
  double var = 0;
  for (double x : v) var += (x - m) * (x - m) / static_cast<double>(v.size() - 1);
  return std::sqrt(var / static_cast<double>(v.size()));
}

TEST_F(IwaeOneDimensional, LargeKConvergesToTheExactLogLikelihood) {
  // The setting is meant to be hard: one sample falls short of log p(x) by nats.
  EXPECT_GT(Mean(log_px_) - Mean(elbo_), 1.0);
  const std::vector<double> est =
      t_.vae->ImportanceWeightedLogLikelihood(x_, Tensor(), 100000, 11, 5000);
  double mean_abs = 0;
  for (int image = 0; image < 16; ++image) {
    // The estimate's spread at k = 1e5, measured over 20 seeds: an rms deviation from log p(x)
    // of 1e-3 to 7e-3 nats per image, 3.6e-3 on average; these bounds are 4 times that. (Lose
    // the log k, or half of sum logvar, and the estimate is off by 11.5 or 0.4 nats.)
    EXPECT_NEAR(est[image], log_px_[image], 0.03) << "image " << image;
    mean_abs += std::abs(est[image] - log_px_[image]) / 16;
  }
  EXPECT_LT(mean_abs, 0.015);
}

TEST_F(IwaeOneDimensional, MeanEstimateRisesWithKFromTheElboToLogPx) {
  // k = 1 is an unbiased estimate of the ELBO: within 4 standard errors of the quadrature ELBO.
  const std::vector<double> d1 = Deviations(1, 200, elbo_);
  EXPECT_LT(std::abs(Mean(d1)), 4.0 * StandardError(d1));
  // Then the bound tightens with k, towards log p(x), and (in expectation) never past it.
  const std::vector<double> g1 = Deviations(1, 200, log_px_), g10 = Deviations(10, 200, log_px_),
                            g100 = Deviations(100, 40, log_px_);
  EXPECT_LT(Mean(g1) + 4.0 * StandardError(g1), Mean(g10));
  EXPECT_LT(Mean(g10) + 4.0 * StandardError(g10), Mean(g100));
  EXPECT_LT(Mean(g100), 4.0 * StandardError(g100));
  std::printf("mean log p(x) - estimate: k = 1 %.4f, k = 10 %.4f (+-%.4f), k = 100 %.4f (+-%.4f)\n",
              -Mean(g1), -Mean(g10), StandardError(g10), -Mean(g100), StandardError(g100));
}

// --- the chunk size, the labels, the arguments ---------------------------------------------------

TEST(Iwae, ResultDoesNotDependOnTheChunkSize) {
  // The default vae's sizes (784-400-20), f32: the GEMMs see every row count from 3 to 69.
  TinyVae dense = Build("vae", {28, 28, 10}, {}, DType::kF32);
  const Tensor x = BinaryImages(3, 784, DType::kF32, 4);
  const std::vector<double> reference =
      dense.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 23, 8, 7);
  for (int64_t chunk : {1, 4, 23, 50})
    EXPECT_EQ(dense.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 23, 8, chunk), reference)
        << "chunk " << chunk;
  for (double v : reference) EXPECT_TRUE(std::isfinite(v) && v < 0) << v;
  TinyVae conv = Build("conv-vae", {28, 28, 10}, {"latent-dim=5", "channels=4"}, DType::kF32);
  const std::vector<double> conv_reference =
      conv.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 9, 8, 9);
  for (int64_t chunk : {1, 2, 4})
    EXPECT_EQ(conv.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 9, 8, chunk),
              conv_reference)
        << "chunk " << chunk;
  // The seed picks the noise.
  EXPECT_NE(dense.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 23, 9, 7), reference);
}

TEST(Iwae, ConditionalModelReadsTheLabels) {
  TinyVae t = Build("cvae", {3, 4, 10}, {"latent-dim=3", "hidden=8"}, DType::kF64);
  const Tensor x = BinaryImages(4, 12, DType::kF64, 2);
  const Tensor a = Tensor::FromVector<int32_t>({0, 1, 2, 3}, {4});
  const Tensor b = Tensor::FromVector<int32_t>({5, 1, 9, 3}, {4});
  const std::vector<double> ea = t.vae->ImportanceWeightedLogLikelihood(x, a, 50, 1, 16);
  const std::vector<double> eb = t.vae->ImportanceWeightedLogLikelihood(x, b, 50, 1, 16);
  EXPECT_NE(ea[0], eb[0]);  // a different label, a different p(x | y)
  EXPECT_EQ(ea[1], eb[1]);  // rows are independent: the same label, the same estimate
  EXPECT_NE(ea[2], eb[2]);
  EXPECT_EQ(ea[3], eb[3]);
  ExpectErrorContaining([&] { t.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 5, 1, 5); },
                        {"one label per image", "(4)", "none"});
}

TEST(Iwae, RejectsBadArguments) {
  TinyVae t = Build("vae", {3, 4, 10}, {"latent-dim=3", "hidden=8"}, DType::kF32);
  const Tensor x = BinaryImages(2, 12, DType::kF32, 2);
  ExpectErrorContaining([&] { t.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 0, 1, 5); },
                        {"k >= 1", "0"});
  ExpectErrorContaining([&] { t.vae->ImportanceWeightedLogLikelihood(x, Tensor(), 5, 1, 0); },
                        {"chunk", "0"});
  ExpectErrorContaining(
      [&] { t.vae->ImportanceWeightedLogLikelihood(x.View({24}), Tensor(), 5, 1, 5); },
      {"(B, features)", "(24,)"});
}

}  // namespace
}  // namespace latent

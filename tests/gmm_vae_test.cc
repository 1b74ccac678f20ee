// The defining properties of gmm-vae (models/vae/gmm_vae.cc): its log p(z) is the weighted
// mixture of its K Gaussians, computed here directly; with one standard component it trains the
// standard-prior objective; its samples pick the components in proportion to their weights. Its
// whole-loss gradient check runs with every registered model's (tests/models_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "models/vae/vae_core.h"
#include "tests/test_util.h"

namespace latent {
namespace {

const ModelShape kTiny{3, 4, 10};
constexpr int64_t kLatent = 3;
constexpr double kLog2Pi = 1.8378770664093454836;

Tensor Param(Model& model, const std::string& name) {
  Parameters& params = model.params();
  for (int i = 0; i < params.size(); ++i)
    if (params.name(i) == name) return params[i];
  ADD_FAILURE() << "no parameter " << name;
  return Tensor();
}

void Set(Model& model, const std::string& name, const std::vector<double>& values) {
  Tensor t = Param(model, name);
  t.CopyFrom(Tensor::FromVector(values, t.shape()).ToDType(t.dtype()));
}

// log p(z) = log sum_k w_k prod_d N(z_d; m_kd, exp(s_kd)), w = softmax(a), the densities
// multiplied and added as they are written, in long double (no log-sum-exp, no expanded square).
// The weights are unequal, so a mixture that ignored them or normalized them wrongly fails.
TEST(GmmVae, LogPriorIsTheWeightedMixtureOfItsGaussians) {
  constexpr int64_t K = 4, N = 6;
  std::unique_ptr<Model> model =
      testing::MakeModel("gmm-vae", kTiny, {"components=4", "latent-dim=3", "hidden=6"});
  model->params().Allocate(Device::Cpu(), 4, DType::kF64);
  const std::vector<double> a = {0.3, -1.2, 2.0, 0.7};
  std::vector<double> m = RandomNormal({K, kLatent}, 5, 0, DType::kF64).ToVector<double>();
  std::vector<double> s = RandomUniform({K, kLatent}, 6, 0, DType::kF64).ToVector<double>();
  for (double& v : s) v = 2 * v - 1;  // log-variances in [-1, 1]
  Set(*model, "prior.logits", a);
  Set(*model, "prior.means", m);
  Set(*model, "prior.log_variances", s);
  NoGradGuard no_grad;
  // Codes near the components and far from them (the mixture's tails).
  const std::vector<double> zs =
      Scale(RandomNormal({N, kLatent}, 9, 0, DType::kF64), 2.0).ToVector<double>();
  const Tensor z = Tensor::FromVector(zs, {N, kLatent});
  const std::vector<double> got = dynamic_cast<VaeCore&>(*model).LogPrior(z).ToVector<double>();
  ASSERT_EQ(got.size(), static_cast<size_t>(N));
  long double total = 0;
  for (double ak : a) total += std::exp(static_cast<long double>(ak));
  for (int64_t n = 0; n < N; ++n) {
    long double mixture = 0;
    for (int64_t k = 0; k < K; ++k) {
      long double density = std::exp(static_cast<long double>(a[k])) / total;
      for (int64_t d = 0; d < kLatent; ++d) {
        const long double v = std::exp(static_cast<long double>(s[k * kLatent + d]));
        const long double diff = zs[n * kLatent + d] - m[k * kLatent + d];
        density *= std::exp(-diff * diff / (2 * v)) / std::sqrt(2 * M_PIl * v);
      }
      mixture += density;
    }
    const double want = static_cast<double>(std::log(mixture));
    // The expanded square z^2/v - 2 z m/v + m^2/v cancels terms of O(10): ~1e-14 in f64.
    EXPECT_NEAR(got[n], want, 1e-11 * std::fabs(want)) << "code " << n;
  }
}

// K = 1 with m = 0, s = 0: p(z) = N(0, I) whatever the logit (its softmax is 1). The loss is then
// the standard-prior objective with its KL drawn at the reconstruction's z: iwae's with k = 1,
// whose noise stream is the same, given the same network weights.
TEST(GmmVae, OneStandardComponentGivesTheStandardPriorObjective) {
  std::unique_ptr<Model> gmm =
      testing::MakeModel("gmm-vae", kTiny, {"components=1", "latent-dim=3", "hidden=6"});
  std::unique_ptr<Model> iwae =
      testing::MakeModel("iwae", kTiny, {"samples=1", "latent-dim=3", "hidden=6"});
  gmm->params().Allocate(Device::Cpu(), 4, DType::kF64);
  iwae->params().Allocate(Device::Cpu(), 4, DType::kF64);
  Set(*gmm, "prior.logits", {3.7});
  Set(*gmm, "prior.means", std::vector<double>(kLatent, 0.0));
  Set(*gmm, "prior.log_variances", std::vector<double>(kLatent, 0.0));
  for (int i = 0; i < iwae->params().size(); ++i) {
    Tensor t = iwae->params()[i];
    t.CopyFrom(Param(*gmm, iwae->params().name(i)));
  }
  NoGradGuard no_grad;
  const Tensor z = RandomNormal({4, kLatent}, 9, 0, DType::kF64);
  const std::vector<double> zs = z.ToVector<double>();
  const std::vector<double> log_p = dynamic_cast<VaeCore&>(*gmm).LogPrior(z).ToVector<double>();
  for (int64_t n = 0; n < 4; ++n) {
    double want = 0;
    for (int64_t d = 0; d < kLatent; ++d) {
      want -= 0.5 * (kLog2Pi + zs[n * kLatent + d] * zs[n * kLatent + d]);
    }
    EXPECT_NEAR(log_p[n], want, 1e-12 * std::fabs(want));
  }
  const Tensor x = RandomUniform({5, kTiny.features()}, 11, 0, DType::kF64);
  for (bool training : {true, false}) {
    const StepContext ctx{3, 17, training};
    const double want = iwae->Loss(x, Tensor(), ctx).loss.item();
    EXPECT_NEAR(gmm->Loss(x, Tensor(), ctx).loss.item(), want, 1e-10 * std::fabs(want))
        << (training ? "training" : "evaluation");
  }
}

// Weights 1/2, 3/10, 1/5 on components centred at 0, 10 and 20 along the first axis, each of
// standard deviation e^-10: every code lies within 1e-3 of one mean, and the share of codes at
// each mean is its weight, within 5 binomial standard deviations (0.04 at most for n = 4000).
// A draw that ignored the weights (1/3 each) misses two of the three by 4 or more. In f32, as
// training runs, and in f64.
void ExpectSamplesFollowTheWeights(DType dtype) {
  constexpr int64_t n = 4000;
  std::unique_ptr<Model> model =
      testing::MakeModel("gmm-vae", kTiny, {"components=3", "latent-dim=3", "hidden=6"});
  model->params().Allocate(Device::Cpu(), 4, dtype);
  const std::vector<double> w = {0.5, 0.3, 0.2};
  // Logits off by a constant from log w: the softmax removes it.
  Set(*model, "prior.logits", {std::log(w[0]) + 1, std::log(w[1]) + 1, std::log(w[2]) + 1});
  Set(*model, "prior.means", {0, 0, 0, 10, 0, 0, 20, 0, 0});
  Set(*model, "prior.log_variances", std::vector<double>(3 * kLatent, -20.0));
  NoGradGuard no_grad;
  const std::vector<double> z =
      dynamic_cast<VaeCore&>(*model).SamplePrior(n, 7).ToDType(DType::kF64).ToVector<double>();
  ASSERT_EQ(z.size(), static_cast<size_t>(n * kLatent));
  std::vector<int64_t> count(3, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = std::lround(z[i * kLatent] / 10.0);
    ASSERT_TRUE(k >= 0 && k < 3) << "code " << i << " at " << z[i * kLatent];
    ++count[k];
    EXPECT_NEAR(z[i * kLatent], 10.0 * k, 1e-3) << "code " << i;
    EXPECT_NEAR(z[i * kLatent + 1], 0.0, 1e-3) << "code " << i;
    EXPECT_NEAR(z[i * kLatent + 2], 0.0, 1e-3) << "code " << i;
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(static_cast<double>(count[k]) / n, w[k], 5 * std::sqrt(w[k] * (1 - w[k]) / n))
        << "component " << k;
  }
}

TEST(GmmVae, SamplesPickTheComponentsInProportionToTheirWeights) {
  for (DType dtype : {DType::kF32, DType::kF64}) {
    SCOPED_TRACE(dtype == DType::kF32 ? "f32" : "f64");
    ExpectSamplesFollowTheWeights(dtype);
  }
}

}  // namespace
}  // namespace latent

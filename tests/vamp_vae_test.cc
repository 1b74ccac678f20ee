// The defining properties of vamp-vae (models/vae/vamp_vae.cc): its log p(z) is the mixture of
// the pseudo-inputs' posteriors, computed here directly; with one pseudo-input whose posterior is
// N(0, I) it trains the standard-prior objective. Its whole-loss gradient check runs with every
// registered model's (tests/models_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
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

int ParamIndex(const Parameters& params, const std::string& name) {
  for (int i = 0; i < params.size(); ++i)
    if (params.name(i) == name) return i;
  ADD_FAILURE() << "no parameter " << name;
  return 0;
}

// log p(z) = log (1/K) sum_k prod_d N(z_d; mu_kd, exp(logvar_kd)), the densities multiplied and
// added as they are written, in long double (no log-sum-exp, no expanded square): the components'
// (mu, logvar) come from the encoder applied to the pseudo-inputs u = stored value + 1/2.
TEST(VampVae, LogPriorIsTheMixtureOfThePseudoInputsPosteriors) {
  constexpr int64_t K = 7, N = 5;
  std::unique_ptr<Model> model = testing::MakeModel(
      "vamp-vae", kTiny, {"pseudo-inputs=7", "latent-dim=3", "hidden=6"});
  model->params().Allocate(Device::Cpu(), 4, DType::kF64);
  VaeCore& vae = dynamic_cast<VaeCore&>(*model);
  NoGradGuard no_grad;
  const Tensor stored = model->params()[ParamIndex(model->params(), "prior.pseudo_inputs")];
  std::vector<double> u = stored.ToVector<double>();
  for (double& v : u) v += 0.5;
  const VaeCore::Posterior c =
      vae.EncodePosterior(Tensor::FromVector(u, {K, kTiny.features()}), Tensor());
  const std::vector<double> mu = c.mu.ToVector<double>(), logvar = c.logvar.ToVector<double>();
  // Codes near the components and far from them (the mixture's tails).
  const Tensor z = Scale(RandomNormal({N, kLatent}, 9, 0, DType::kF64), 2.0);
  const std::vector<double> zs = z.ToVector<double>();
  const std::vector<double> got = vae.LogPrior(z).ToVector<double>();
  ASSERT_EQ(got.size(), static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    long double mixture = 0;
    for (int64_t k = 0; k < K; ++k) {
      long double density = 1;
      for (int64_t d = 0; d < kLatent; ++d) {
        const long double v = std::exp(static_cast<long double>(logvar[k * kLatent + d]));
        const long double diff = zs[n * kLatent + d] - mu[k * kLatent + d];
        density *= std::exp(-diff * diff / (2 * v)) / std::sqrt(2 * M_PIl * v);
      }
      mixture += density / K;
    }
    const double want = static_cast<double>(std::log(mixture));
    // The expanded square z^2/v - 2 z m/v + m^2/v cancels terms of O(10): ~1e-14 in f64.
    EXPECT_NEAR(got[n], want, 1e-11 * std::fabs(want)) << "code " << n;
  }
}

// K = 1, pseudo-input u = 0, and zero biases in fc1, fc_mu and fc_logvar: the encoder maps u to
// mu = 0, logvar = 0, so p(z) = N(0, I), while the images (not 0) keep their own posteriors. The
// loss is then the standard-prior objective with its KL drawn at the reconstruction's z: iwae's
// with k = 1, whose noise stream is the same, given the same weights.
TEST(VampVae, OnePseudoInputWithAStandardPosteriorGivesTheStandardPriorObjective) {
  std::unique_ptr<Model> vamp = testing::MakeModel(
      "vamp-vae", kTiny, {"pseudo-inputs=1", "latent-dim=3", "hidden=6"});
  std::unique_ptr<Model> iwae =
      testing::MakeModel("iwae", kTiny, {"samples=1", "latent-dim=3", "hidden=6"});
  vamp->params().Allocate(Device::Cpu(), 4, DType::kF64);
  iwae->params().Allocate(Device::Cpu(), 4, DType::kF64);
  Parameters& p = vamp->params();
  for (const char* name : {"encoder.fc1.bias", "encoder.fc_mu.bias", "encoder.fc_logvar.bias",
                           "prior.pseudo_inputs"}) {
    Tensor t = p[ParamIndex(p, name)];
    // The stored pseudo-input is u - 1/2.
    t.CopyFrom(Tensor::Full(t.shape(), std::strcmp(name, "prior.pseudo_inputs") == 0 ? -0.5 : 0.0,
                            DType::kF64));
  }
  for (int i = 0; i < iwae->params().size(); ++i) {
    Tensor t = iwae->params()[i];
    t.CopyFrom(p[ParamIndex(p, iwae->params().name(i))]);
  }
  NoGradGuard no_grad;
  const Tensor x = RandomUniform({5, kTiny.features()}, 11, 0, DType::kF64);
  // The prior itself is N(0, I).
  const Tensor z = RandomNormal({4, kLatent}, 9, 0, DType::kF64);
  const std::vector<double> zs = z.ToVector<double>();
  const std::vector<double> log_p = dynamic_cast<VaeCore&>(*vamp).LogPrior(z).ToVector<double>();
  for (int64_t n = 0; n < 4; ++n) {
    double want = 0;
    for (int64_t d = 0; d < kLatent; ++d) {
      want -= 0.5 * (kLog2Pi + zs[n * kLatent + d] * zs[n * kLatent + d]);
    }
    EXPECT_NEAR(log_p[n], want, 1e-12 * std::fabs(want));
  }
  for (bool training : {true, false}) {
    const StepContext ctx{3, 17, training};
    const double want = iwae->Loss(x, Tensor(), ctx).loss.item();
    EXPECT_NEAR(vamp->Loss(x, Tensor(), ctx).loss.item(), want, 1e-10 * std::fabs(want))
        << (training ? "training" : "evaluation");
  }
}

}  // namespace
}  // namespace latent

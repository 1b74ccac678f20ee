// Whole-model checks: each registered model's loss against finite differences (f64, fixed
// noise), and the properties that define the VAE.
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/gradcheck.h"
#include "core/random.h"
#include "tools/eval/grad_study.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// Tiny images keep the finite differences cheap: every parameter costs two loss evaluations.
const ModelShape kTiny{3, 4, 10};

Tensor TinyBatch(DType dtype, const ModelShape& shape = kTiny) {
  return RandomUniform({5, shape.features()}, 11, 0, dtype);  // grey levels in (0, 1)
}

class ModelGradCheck : public ::testing::TestWithParam<std::string> {};

// The setting of `latent gradcheck` (tools/eval/grad_study.h): small shapes, and layers wide enough
// that no ReLU layer is dead, so every tensor's gradient is non-zero and the check compares
// numbers, not zeros.
TEST_P(ModelGradCheck, LossGradientMatchesCentralDifferences) {
  const GradCheckSetting setting = GradCheckSettingFor(GetParam());
  const ModelInfo& info = FindModel(GetParam());
  HyperParams values(info.hyperparams);
  ApplyNarrowValues(setting, values);
  std::unique_ptr<Model> model = info.create(values, setting.shape);
  model->params().Allocate(Device::Cpu(), 5, DType::kF64);
  const Tensor x = TinyBatch(DType::kF64, setting.shape);
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1, 2, 3, 4}, {5});
  // Fixed (seed, step): the VAE draws the same noise in every evaluation.
  for (const ParameterCheck& c : CheckModelGradients(*model, x, labels, {3, 17, true},
                                                     kModelGradCheckAtol, kModelGradCheckRtol)) {
    EXPECT_TRUE(c.result.passed) << GetParam() << " " << c.result.name << ": max abs error "
                                 << c.result.max_abs_error << ", max rel error "
                                 << c.result.max_rel_error;
    EXPECT_GT(c.max_abs_gradient, 0.0) << GetParam() << " " << c.result.name
                                       << ": an all-zero gradient checks nothing";
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, ModelGradCheck,
                         ::testing::Values("ae", "vae", "beta-vae", "cvae", "conv-ae", "conv-vae",
                                           "overcomplete-ae", "deep-ae", "sparse-ae",
                                           "denoising-ae", "contractive-ae", "iwae",
                                           "vamp-vae", "gmm-vae"),
                         [](const auto& info) {
                           std::string name = info.param;  // gtest names allow no '-'
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

TEST(Vae, KlIsPositiveFiniteAndLossIsItsSumWithRecon) {
  std::unique_ptr<Model> vae = latent::testing::MakeModel("vae", kTiny);
  vae->params().Allocate(Device::Cpu(), 1);
  NoGradGuard no_grad;
  LossOutput out = vae->Loss(TinyBatch(DType::kF32), Tensor(), {1, 0, true});
  ASSERT_EQ(out.parts.size(), 2u);
  const double recon = out.parts[0].second.item(), kl = out.parts[1].second.item();
  EXPECT_GT(kl, 0.0);
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_NEAR(out.loss.item(), recon + kl, 1e-4 * std::abs(recon + kl));
}

TEST(Vae, NoiseIsFixedBySeedAndStep) {
  std::unique_ptr<Model> vae = latent::testing::MakeModel("vae", kTiny);
  vae->params().Allocate(Device::Cpu(), 1);
  NoGradGuard no_grad;
  const Tensor x = TinyBatch(DType::kF32);
  const double a = vae->Loss(x, Tensor(), {1, 4, true}).loss.item();
  EXPECT_EQ(a, vae->Loss(x, Tensor(), {1, 4, true}).loss.item());
  EXPECT_NE(a, vae->Loss(x, Tensor(), {1, 5, true}).loss.item());
}

TEST(Ae, HasNoPriorToSampleFrom) {
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", kTiny);
  ae->params().Allocate(Device::Cpu(), 1);
  try {
    ae->Sample(4, 1, Tensor());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no prior"), std::string::npos) << e.what();
  }
}

TEST(Registry, UnknownModelListsTheKnownOnes) {
  try {
    FindModel("vea");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vae"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace latent

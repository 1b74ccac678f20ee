// Models built from C++ through their typed configurations (models/configs.h), against the models
// the registry builds from the hyperparameters' text (the CLI's flags, a run's config.json): the
// two paths must give one model, and bad text must be reported by the name of its hyperparameter.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/io/json.h"
#include "core/random.h"
#include "models/configs.h"
#include "models/train/run_dir.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;
using latent::testing::MakeModel;

// Two models are the same when they declare the same parameters, initialize them to the same
// bits from one seed, and compute the same loss, bit for bit, with the same noise. The loss
// covers what the parameters do not show (penalty weights, noise, the KL weight).
void ExpectSameModel(Model& typed, Model& registered, const ModelShape& shape,
                     const std::string& what) {
  typed.params().Allocate(Device::Cpu(), 7);
  registered.params().Allocate(Device::Cpu(), 7);
  ASSERT_EQ(typed.params().size(), registered.params().size()) << what;
  for (int i = 0; i < typed.params().size(); ++i)
    EXPECT_EQ(typed.params().name(i), registered.params().name(i)) << what;
  const std::vector<float> a = typed.params().flat_values().ToVector<float>();
  const std::vector<float> b = registered.params().flat_values().ToVector<float>();
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << what;

  NoGradGuard no_grad;
  const Tensor x = RandomUniform({4, shape.features()}, 11, 0, DType::kF32);
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1, 2, 3}, {4});
  const LossOutput t = typed.Loss(x, labels, {3, 5, true});
  const LossOutput r = registered.Loss(x, labels, {3, 5, true});
  EXPECT_EQ(t.loss.item(), r.loss.item()) << what;
  ASSERT_EQ(t.parts.size(), r.parts.size()) << what;
  for (size_t i = 0; i < t.parts.size(); ++i) {
    EXPECT_EQ(t.parts[i].first, r.parts[i].first) << what;
    EXPECT_EQ(t.parts[i].second.item(), r.parts[i].second.item()) << what;
  }
}

struct Family {
  std::string name;
  std::function<std::unique_ptr<Model>(const ModelShape&)> make;  // from its typed config
};

// Every family at its defaults, built as a C++ program would.
std::vector<Family> Defaults() {
  return {
      {"ae", [](const ModelShape& s) { return MakeAe(AeConfig(), s); }},
      {"vae", [](const ModelShape& s) { return MakeVae(VaeConfig(), s); }},
      {"overcomplete-ae",
       [](const ModelShape& s) { return MakeOvercompleteAe(OvercompleteAeConfig(), s); }},
      {"deep-ae", [](const ModelShape& s) { return MakeDeepAe(DeepAeConfig(), s); }},
      {"sparse-ae", [](const ModelShape& s) { return MakeSparseAe(SparseAeConfig(), s); }},
      {"denoising-ae", [](const ModelShape& s) { return MakeDenoisingAe(DenoisingAeConfig(), s); }},
      {"contractive-ae",
       [](const ModelShape& s) { return MakeContractiveAe(ContractiveAeConfig(), s); }},
      {"beta-vae", [](const ModelShape& s) { return MakeBetaVae(BetaVaeDefaults(), s); }},
      {"cvae", [](const ModelShape& s) { return MakeCvae(VaeConfig(), s); }},
      {"conv-ae", [](const ModelShape& s) { return MakeConvAe(ConvAeConfig(), s); }},
      {"conv-vae", [](const ModelShape& s) { return MakeConvVae(ConvVaeConfig(), s); }},
      {"iwae", [](const ModelShape& s) { return MakeIwae(IwaeConfig(), s); }},
      {"vamp-vae", [](const ModelShape& s) { return MakeVampVae(VampVaeConfig(), s); }},
      {"gmm-vae", [](const ModelShape& s) { return MakeGmmVae(GmmVaeConfig(), s); }},
  };
}

TEST(ModelConfig, DefaultsBuildTheRegistrysModelsBitForBit) {
  const ModelShape shape;
  const std::vector<Family> families = Defaults();
  ASSERT_EQ(families.size(), ModelRegistry().size()) << "a registered model lacks a case here";
  for (const Family& f : families) {
    std::unique_ptr<Model> typed = f.make(shape);
    std::unique_ptr<Model> registered = MakeModel(f.name, shape);
    ExpectSameModel(*typed, *registered, shape, f.name);
  }
}

// `typed` against the registered model `name` built from `text` ("name=value").
void ExpectSameAsText(std::unique_ptr<Model> typed, const std::string& name,
                      const std::vector<std::string>& text, const ModelShape& shape) {
  std::string what = name;
  for (const std::string& t : text) what += " " + t;
  ExpectSameModel(*typed, *MakeModel(name, shape, text), shape, what);
}

// Every setting away from its default, written once in C++ and once as text: FromValues must map
// each word and number to the member that the factory reads.
TEST(ModelConfig, EverySettingReadsFromTextAsWrittenInCpp) {
  const ModelShape shape{8, 12, 10};  // multiples of 4, for the convolutional models

  AeConfig ae;
  ae.latent_dim = 5;
  ExpectSameAsText(MakeAe(ae, shape), "ae", {"latent-dim=5"}, shape);

  OvercompleteAeConfig noise;
  noise.latent_dim = 130;
  noise.regularizer = OvercompleteAeConfig::kNoise;
  noise.sigma = 0.7;
  ExpectSameAsText(MakeOvercompleteAe(noise, shape), "overcomplete-ae",
                   {"latent-dim=130", "regularizer=noise", "sigma=0.7"}, shape);
  OvercompleteAeConfig sparse;
  sparse.lambda = 0.5;
  ExpectSameAsText(MakeOvercompleteAe(sparse, shape), "overcomplete-ae", {"lambda=0.5"}, shape);

  DeepAeConfig deep;
  deep.widths = {9, 7};
  deep.latent_dim = 3;
  deep.activation = DeepAeConfig::kSigmoid;
  ExpectSameAsText(MakeDeepAe(deep, shape), "deep-ae",
                   {"widths=9,7", "latent-dim=3", "activation=sigmoid"}, shape);

  SparseAeConfig kl;
  kl.latent_dim = 6;
  kl.rho = 0.2;
  kl.beta = 0.5;
  ExpectSameAsText(MakeSparseAe(kl, shape), "sparse-ae", {"latent-dim=6", "rho=0.2", "beta=0.5"},
                   shape);
  SparseAeConfig l1;
  l1.sparsity = SparseAeConfig::kL1;
  l1.lambda = 2.0;
  ExpectSameAsText(MakeSparseAe(l1, shape), "sparse-ae", {"sparsity=l1", "lambda=2"}, shape);

  DenoisingAeConfig salt;
  salt.latent_dim = 7;
  salt.noise = kernels::Corruption::kSaltPepper;
  salt.noise_level = 0.4;
  ExpectSameAsText(MakeDenoisingAe(salt, shape), "denoising-ae",
                   {"latent-dim=7", "noise=salt-pepper", "noise-level=0.4"}, shape);
  DenoisingAeConfig gaussian;
  gaussian.noise = kernels::Corruption::kGaussian;
  gaussian.noise_level = 2.5;
  ExpectSameAsText(MakeDenoisingAe(gaussian, shape), "denoising-ae",
                   {"noise=gaussian", "noise-level=2.5"}, shape);

  ContractiveAeConfig contractive;
  contractive.latent_dim = 4;
  contractive.lambda = 0.25;
  ExpectSameAsText(MakeContractiveAe(contractive, shape), "contractive-ae",
                   {"latent-dim=4", "lambda=0.25"}, shape);

  ConvAeConfig conv;
  conv.latent_dim = 3;
  conv.channels = 2;
  ExpectSameAsText(MakeConvAe(conv, shape), "conv-ae", {"latent-dim=3", "channels=2"}, shape);

  VaeConfig learned;
  learned.latent_dim = 3;
  learned.hidden = 9;
  learned.likelihood.decoder = LikelihoodConfig::kGaussian;
  learned.likelihood.variance = LikelihoodConfig::kLearned;
  learned.likelihood.sigma = 0.2;
  ExpectSameAsText(
      MakeVae(learned, shape), "vae",
      {"latent-dim=3", "hidden=9", "decoder=gaussian", "variance=learned", "sigma=0.2"}, shape);
  VaeConfig fixed;
  fixed.likelihood.decoder = LikelihoodConfig::kGaussian;
  fixed.likelihood.sigma = 0.3;
  ExpectSameAsText(MakeVae(fixed, shape), "vae", {"decoder=gaussian", "sigma=0.3"}, shape);

  VaeConfig cyclical = BetaVaeDefaults();
  cyclical.schedule.beta = 0.5;
  cyclical.schedule.kind = KlSchedule::kCyclical;
  cyclical.schedule.cycle_steps = 4;
  ExpectSameAsText(MakeBetaVae(cyclical, shape), "beta-vae",
                   {"beta=0.5", "schedule=cyclical", "cycle-steps=4"}, shape);
  VaeConfig linear = BetaVaeDefaults();
  linear.schedule.kind = KlSchedule::kLinear;
  linear.schedule.warmup_steps = 10;
  ExpectSameAsText(MakeBetaVae(linear, shape), "beta-vae", {"schedule=linear", "warmup-steps=10"},
                   shape);

  VaeConfig warmup;
  warmup.schedule.kind = KlSchedule::kLinear;
  warmup.schedule.warmup_steps = 10;
  ExpectSameAsText(MakeVae(warmup, shape), "vae", {"schedule=linear", "warmup-steps=10"}, shape);
  ExpectSameAsText(MakeCvae(warmup, shape), "cvae", {"schedule=linear", "warmup-steps=10"},
                   shape);
  ConvVaeConfig conv_warmup;
  conv_warmup.channels = 2;
  conv_warmup.schedule.kind = KlSchedule::kCyclical;
  conv_warmup.schedule.cycle_steps = 4;
  ExpectSameAsText(MakeConvVae(conv_warmup, shape), "conv-vae",
                   {"channels=2", "schedule=cyclical", "cycle-steps=4"}, shape);

  VaeConfig cvae;
  cvae.latent_dim = 2;
  cvae.hidden = 5;
  ExpectSameAsText(MakeCvae(cvae, shape), "cvae", {"latent-dim=2", "hidden=5"}, shape);

  ConvVaeConfig conv_vae;
  conv_vae.latent_dim = 2;
  conv_vae.channels = 3;
  conv_vae.likelihood.decoder = LikelihoodConfig::kGaussian;
  conv_vae.likelihood.sigma = 0.5;
  ExpectSameAsText(MakeConvVae(conv_vae, shape), "conv-vae",
                   {"latent-dim=2", "channels=3", "decoder=gaussian", "sigma=0.5"}, shape);

  IwaeConfig iwae;
  iwae.vae.latent_dim = 2;
  iwae.vae.hidden = 5;
  iwae.samples = 3;
  ExpectSameAsText(MakeIwae(iwae, shape), "iwae", {"latent-dim=2", "hidden=5", "samples=3"},
                   shape);

  VampVaeConfig vamp;
  vamp.vae.latent_dim = 2;
  vamp.vae.hidden = 5;
  vamp.pseudo_inputs = 3;
  ExpectSameAsText(MakeVampVae(vamp, shape), "vamp-vae",
                   {"latent-dim=2", "hidden=5", "pseudo-inputs=3"}, shape);

  GmmVaeConfig gmm;
  gmm.vae.latent_dim = 2;
  gmm.vae.hidden = 5;
  gmm.components = 4;
  ExpectSameAsText(MakeGmmVae(gmm, shape), "gmm-vae",
                   {"latent-dim=2", "hidden=5", "components=4"}, shape);
}

// The typed settings change the model: a wider code, a learned variance, a deeper stack.
TEST(ModelConfig, TypedSettingsShapeTheModel) {
  const ModelShape shape;
  AeConfig ae;
  ae.latent_dim = 5;
  EXPECT_EQ(MakeAe(ae, shape)->code_size(), 5);
  EXPECT_EQ(MakeAe(ae, shape)->params().count(), 784 * 5 + 5 + 5 * 784 + 784);

  DeepAeConfig deep;
  deep.widths = {10, 8};
  deep.latent_dim = 2;
  // 784-10-8-2 and back: weights and biases of six layers.
  EXPECT_EQ(MakeDeepAe(deep, shape)->params().count(),
            2 * (784 * 10 + 10 * 8 + 8 * 2) + (10 + 8 + 2) + (8 + 10 + 784));

  VaeConfig vae;
  vae.likelihood.decoder = LikelihoodConfig::kGaussian;
  vae.likelihood.variance = LikelihoodConfig::kLearned;
  std::unique_ptr<Model> gaussian = MakeVae(vae, shape);
  const Parameters& params = gaussian->params();
  EXPECT_EQ(params.name(params.size() - 1), "decoder.log_variance");
  EXPECT_EQ(params.count(), MakeVae(VaeConfig(), shape)->params().count() + 1);
}

// `latent models` shows the member initializers as the defaults.
TEST(ModelConfig, SpecsShowTheDefaultsAsText) {
  const auto default_of = [](const std::string& model, const std::string& name) {
    for (const HyperParamSpec& s : FindModel(model).hyperparams)
      if (s.name == name) return s.default_value;
    return std::string("(not declared)");
  };
  EXPECT_EQ(default_of("ae", "latent-dim"), "32");
  EXPECT_EQ(default_of("deep-ae", "widths"), "1000,500,250");
  EXPECT_EQ(default_of("deep-ae", "activation"), "relu");
  EXPECT_EQ(default_of("overcomplete-ae", "lambda"), "0.05");
  EXPECT_EQ(default_of("denoising-ae", "noise"), "mask");
  EXPECT_EQ(default_of("beta-vae", "beta"), "4");
  EXPECT_EQ(default_of("vae", "beta"), "(not declared)");
  EXPECT_EQ(default_of("conv-vae", "sigma"), "0.1");
  EXPECT_EQ(default_of("iwae", "samples"), "5");
  EXPECT_EQ(default_of("iwae", "beta"), "(not declared)");
  EXPECT_EQ(default_of("vamp-vae", "pseudo-inputs"), "500");
  EXPECT_EQ(default_of("gmm-vae", "components"), "10");
  // The shortest text that reads back as the same double.
  EXPECT_EQ(HyperParamText(1e-3), "0.001");
  EXPECT_EQ(HyperParamText(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(HyperParamText(int64_t{1} << 40), "1099511627776");
}

TEST(ModelConfig, BadTextNamesTheHyperparameter) {
  const ModelShape shape;
  ExpectErrorContaining([&] { MakeModel("vae", shape, {"latent-dim=0"}); },
                        {"--latent-dim", "integer in [1, 65536]", "'0'"});
  ExpectErrorContaining([&] { MakeModel("ae", shape, {"latent-dim=ten"}); },
                        {"--latent-dim", "'ten'"});
  ExpectErrorContaining([&] { MakeModel("sparse-ae", shape, {"rho=1"}); },
                        {"--rho", "number in [", "'1'"});
  // A fraction of the pixels is at most 1; Gaussian noise may be larger.
  ExpectErrorContaining([&] { MakeModel("denoising-ae", shape, {"noise-level=1.5"}); },
                        {"--noise-level", "[0, 1]", "'1.5'"});
  EXPECT_NO_THROW(MakeModel("denoising-ae", shape, {"noise=gaussian", "noise-level=1.5"}));
  ExpectErrorContaining([&] { MakeModel("denoising-ae", shape, {"noise=pink"}); },
                        {"--noise expects one of gaussian, mask, salt-pepper", "'pink'"});
  ExpectErrorContaining([&] { MakeModel("deep-ae", shape, {"widths=10,,5"}); },
                        {"--widths", "'10,,5'"});
  ExpectErrorContaining([&] { MakeModel("beta-vae", shape, {"cycle-steps=1"}); },
                        {"--cycle-steps", "[2, "});
  const std::vector<std::string> no_sigma = {"decoder=gaussian", "sigma=0"};
  ExpectErrorContaining([&] { MakeModel("conv-vae", shape, no_sigma); }, {"--sigma", "'0'"});
  ExpectErrorContaining([&] { MakeModel("vae", shape, {"latent-dims=3"}); },
                        {"unknown hyperparameter --latent-dims", "--latent-dim", "--hidden"});
  // FromValues itself, for a program that reads its own text.
  HyperParams values(ConvAeConfig::Specs());
  values.Set("channels", "5000");
  ExpectErrorContaining([&] { ConvAeConfig::FromValues(values); },
                        {"--channels", "[1, 1024]", "'5000'"});
}

// A run directory records its model's hyperparameters as text ("model_flags"); one written before
// the typed configurations existed, in that format and lacking a hyperparameter added since
// (here --sigma), loads with that one at its default.
TEST(ModelConfig, ExistingRunConfigsLoad) {
  const Json config = Json::Parse(R"({
    "model": "vae",
    "model_flags": {"latent-dim": "8", "hidden": "16", "decoder": "bernoulli", "variance": "fixed"},
    "train": {"epochs": 1, "batch_size": 128, "lr": 0.001, "seed": 1, "binarize": false},
    "data": {"dir": "data/mnist", "height": 28, "width": 28, "num_classes": 10}
  })");
  ModelShape shape;
  std::unique_ptr<Model> loaded = ModelFromConfig(config, &shape);
  VaeConfig typed;
  typed.latent_dim = 8;
  typed.hidden = 16;
  std::unique_ptr<Model> expected = MakeVae(typed, shape);
  ExpectSameModel(*loaded, *expected, shape, "config.json");
}

// Runs of vae, cvae and conv-vae written before these models took a KL schedule lack --schedule,
// --warmup-steps and --cycle-steps: they load with the constant schedule they were trained with
// (ExpectSameModel's loss is that of training step 5, where a warm-up would weigh the KL less).
TEST(ModelConfig, VaeRunConfigsWithoutAScheduleLoad) {
  const std::string flags = R"("latent-dim": "4", "decoder": "bernoulli", "variance": "fixed",
                               "sigma": "0.1")";
  const std::string rest = R"(,
    "train": {"epochs": 1, "batch_size": 128, "lr": 0.001, "seed": 1, "binarize": false},
    "data": {"dir": "data/mnist", "height": 28, "width": 28, "num_classes": 10}})";
  ModelShape shape;
  VaeConfig dense;
  dense.latent_dim = 4;
  dense.hidden = 12;
  const Json vae = Json::Parse(R"({"model": "vae", "model_flags": {"hidden": "12", )" + flags +
                               "}" + rest);
  ExpectSameModel(*ModelFromConfig(vae, &shape), *MakeVae(dense, shape), shape, "vae");
  const Json cvae = Json::Parse(R"({"model": "cvae", "model_flags": {"hidden": "12", )" + flags +
                                "}" + rest);
  ExpectSameModel(*ModelFromConfig(cvae, &shape), *MakeCvae(dense, shape), shape, "cvae");
  ConvVaeConfig conv;
  conv.latent_dim = 4;
  conv.channels = 2;
  const Json conv_vae = Json::Parse(
      R"({"model": "conv-vae", "model_flags": {"channels": "2", )" + flags + "}" + rest);
  ExpectSameModel(*ModelFromConfig(conv_vae, &shape), *MakeConvVae(conv, shape), shape,
                  "conv-vae");
}

}  // namespace
}  // namespace latent

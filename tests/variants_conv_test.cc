// The convolutional models on a real MNIST slice: fewer parameters than the dense models of the
// same code size, at comparable reconstruction. (Their gradients: ModelGradCheck in
// tests/models_test.cc and VariantOptionsGradCheck in tests/variants_vae_test.cc.)
#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// A convolution shares each filter across all positions, so the conv models should reconstruct
// as well as the dense models of the same code size with a fraction of their parameters. The
// counts are written out from the architectures (weights + biases per layer):
//   conv-ae (c = 32, code 30): conv 1->32 k4 (544), conv 32->64 k4 (32832), fc 3136->30 (94110),
//     fc 30->3136 (97216), convT 64->32 k4 (32800), convT 32->1 k4 (513)              = 258015
//   conv-vae (code 20): the same trunk with fc_mu, fc_logvar 3136->20 (2 x 62740) and
//     fc 20->3136 (65856)                                                             = 258025
//   deep-ae --widths 400 (784-400-30-400-784) = 652814;  vae (784-400-20-400-784) = 652824.
// "Comparable reconstruction": trained on the same 6400 images with the same seed, batch (32),
// steps (400) and learning rate, the conv model's test loss (BCE nats per image; for the VAEs the
// whole negative ELBO, since reconstruction alone can be bought with KL) is at most 5% above the
// dense model's. A broken conv gradient or layout leaves it near the mean-digit plateau (~200
// nats, twice the dense model's). lr 3e-3 rather than 1e-3: the 6-layer conv stack spends its
// first ~150 steps at 1e-3 on that plateau, which this budget cannot afford; both models get it.
struct ConvPair {
  const char* conv;
  int64_t conv_count;
  const char* dense;
  std::vector<std::string> dense_overrides;
  int64_t dense_count;
};

void PrintTo(const ConvPair& p, std::ostream* os) { *os << p.conv << " vs " << p.dense; }

class VariantConv : public ::testing::TestWithParam<ConvPair> {
 protected:
  void SetUp() override {
    dir_ = latent::testing::MnistDir();
    if (dir_.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  }
  std::string dir_;
};

TEST_P(VariantConv, FewerParametersAtComparableReconstruction) {
  const ConvPair& p = GetParam();
  const Dataset train = LoadDataset(dir_, "train", Device::Cpu(), 6400);
  const Dataset test = LoadDataset(dir_, "t10k", Device::Cpu(), 500);
  auto run = [&](const char* name, const std::vector<std::string>& overrides, int64_t count) {
    std::unique_ptr<Model> model = latent::testing::MakeModel(name, {28, 28, 10}, overrides);
    model->params().Allocate(Device::Cpu(), 1);
    EXPECT_EQ(model->params().count(), count) << name;
    TrainOptions options;
    options.epochs = 2;
    options.batch_size = 32;
    options.lr = 3e-3;
    const Evaluation e = Train(*model, train, test, options, [](auto&) {}).back().test;
    std::printf("%-8s %7lld parameters: test loss %.1f (recon %.1f)\n", name,
                static_cast<long long>(count), e.loss, e.parts.at("recon"));
    return e.loss;
  };
  const double conv = run(p.conv, {}, p.conv_count);
  const double dense = run(p.dense, p.dense_overrides, p.dense_count);
  EXPECT_LT(p.conv_count, p.dense_count / 2);
  EXPECT_LE(conv, 1.05 * dense);
}

INSTANTIATE_TEST_SUITE_P(
    Registry, VariantConv,
    ::testing::Values(ConvPair{"conv-ae", 258015, "deep-ae", {"widths=400"}, 652814},
                      ConvPair{"conv-vae", 258025, "vae", {}, 652824}),
    [](const auto& info) {
      std::string name = info.param.conv;
      for (char& ch : name) ch = ch == '-' ? '_' : ch;
      return name;
    });

}  // namespace
}  // namespace latent

// The defining property of each dense autoencoder variant, after brief training on a real MNIST
// slice. Every measurement below is taken by the test itself from Encode/Reconstruct outputs
// (squared errors, mean activations, finite-difference Jacobians), never read from the model's
// own loss parts; the references are data statistics or a second model trained identically.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/random.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// Mean over rows of sum_pixels (a - b)^2; a, b: (N, D) on the CPU.
double SquaredErrorPerRow(const Tensor& a, const Tensor& b) {
  const std::vector<float> va = a.ToVector<float>(), vb = b.ToVector<float>();
  double sum = 0.0;
  for (size_t i = 0; i < va.size(); ++i) sum += (double(va[i]) - vb[i]) * (va[i] - vb[i]);
  return sum / static_cast<double>(a.size(0));
}

double MeanOf(const Tensor& t) {
  double sum = 0.0;
  for (float v : t.ToVector<float>()) sum += v;
  return sum / static_cast<double>(t.numel());
}

// The error of the best constant guess, the mean training image: a model that learned nothing
// about individual digits cannot beat it (about 52 per image on MNIST).
double MeanImageError(const Dataset& train, const Tensor& x) {
  const int64_t n = train.size(), d = train.features();
  const std::vector<float> images = train.images.ToVector<float>();
  std::vector<float> mean(d, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[j] += images[i * d + j] / static_cast<float>(n);
  std::vector<float> repeated;
  for (int64_t i = 0; i < x.size(0); ++i) repeated.insert(repeated.end(), mean.begin(), mean.end());
  return SquaredErrorPerRow(Tensor::FromVector<float>(repeated, x.shape()), x);
}

// ||J_f(x)||_F^2 of the encoder f, averaged over the rows of x, by central differences: column i
// of J is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps). Independent of any closed form.
double JacobianNorm2(Model& model, const Tensor& x) {
  const double eps = 1e-2;  // sigmoid codes: truncation O(eps^2) and f32 rounding ~1e-5 relative
  const int64_t d = x.size(1);
  const std::vector<float> xs = x.ToVector<float>();
  double total = 0.0;
  for (int64_t r = 0; r < x.size(0); ++r) {
    std::vector<float> probes;  // rows: x + eps e_0, x - eps e_0, x + eps e_1, ...
    for (int64_t i = 0; i < d; ++i) {
      for (double sign : {1.0, -1.0}) {
        probes.insert(probes.end(), xs.begin() + r * d, xs.begin() + (r + 1) * d);
        probes[probes.size() - d + i] += static_cast<float>(sign * eps);
      }
    }
    const std::vector<float> h =
        model.Encode(Tensor::FromVector<float>(probes, {2 * d, d}), Tensor()).ToVector<float>();
    const int64_t k = model.code_size();
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < k; ++j) {
        const double dh = (double(h[(2 * i) * k + j]) - h[(2 * i + 1) * k + j]) / (2 * eps);
        total += dh * dh;
      }
    }
  }
  return total / static_cast<double>(x.size(0));
}

class DenseVariant : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = latent::testing::MnistDir();
    if (dir.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
    train_ = LoadDataset(dir, "train", Device::Cpu(), 3000);
    test_ = LoadDataset(dir, "t10k", Device::Cpu(), 1000);
  }

  // `name` built with `overrides` and trained with Adam on the first `n` training images. A few
  // hundred steps: the small batch buys steps, which these properties need more than precision.
  std::unique_ptr<Model> Trained(const std::string& name, const std::vector<std::string>& overrides,
                                 int64_t n, int epochs, double lr, int64_t batch_size = 32) {
    std::unique_ptr<Model> model = latent::testing::MakeModel(name, kMnist, overrides);
    model->params().Allocate(Device::Cpu(), 1);
    Dataset slice = train_;
    slice.images = train_.images.Rows(0, n);
    slice.labels = train_.labels.Rows(0, n);
    Dataset unused_test = test_;  // Train evaluates every epoch; the tests measure afterwards
    unused_test.images = test_.images.Rows(0, 64);
    unused_test.labels = test_.labels.Rows(0, 64);
    TrainOptions options;
    options.epochs = epochs;
    options.batch_size = batch_size;
    options.lr = lr;
    Train(*model, slice, unused_test, options, [](auto&) {});
    return model;
  }

  static Tensor Reconstruct(Model& model, const Tensor& x) {
    NoGradGuard no_grad;
    return model.Reconstruct(x, Tensor());
  }

  const ModelShape kMnist{28, 28, 10};
  Dataset train_, test_;
};

// 64 units and lr 1e-2 (282 steps) so that sigmoid codes leave the mean-image plateau in time,
// and beta = 30 rather than the default 3 so that the KL wins within those steps (at beta = 3 the
// mean activation is still 0.07 after 10 full epochs; docs/models.md).
TEST_F(DenseVariant, SparseMeanActivationNearRhoAndBelowPlainAe) {
  std::unique_ptr<Model> sparse =
      Trained("sparse-ae", {"latent-dim=64", "rho=0.05", "beta=30"}, 3000, 3, 1e-2);
  std::unique_ptr<Model> plain = Trained("sparse-ae", {"latent-dim=64", "beta=0"}, 3000, 3, 1e-2);
  NoGradGuard no_grad;
  const double rho_hat = MeanOf(sparse->Encode(test_.images, Tensor()));
  const double plain_hat = MeanOf(plain->Encode(test_.images, Tensor()));
  // The KL pulls each unit's mean towards rho = 0.05 against the reconstruction's pull, so it
  // settles a little above: "near" is within a factor of 2 of rho. The unregularized sigmoid code
  // sits far higher (0.85 here); a sparsity term that merely nudged it would not reach half.
  EXPECT_GT(rho_hat, 0.05 / 2);
  EXPECT_LT(rho_hat, 0.05 * 2);
  EXPECT_LT(rho_hat, 0.5 * plain_hat);
}

// Mask noise at nu = 0.5 rather than the default 0.25: most masked pixels are background zeros
// already, so at 0.25 the corrupted input is so close to clean (error ~20) that a briefly trained
// model cannot beat it by a margin; at 0.5 it is ~41.
TEST_F(DenseVariant, DenoisingOutputIsCloserToCleanThanItsInput) {
  const Tensor& x = test_.images;
  // The same network trained on clean inputs: autoencoders denoise somewhat by themselves, so
  // only beating it shows that training on corrupted inputs did its part.
  std::unique_ptr<Model> plain = Trained("denoising-ae", {"noise-level=0"}, 3000, 3, 3e-3);
  for (const auto& [noise, kind, level] :
       {std::tuple{"mask", kernels::Corruption::kMask, 0.5},
        std::tuple{"gaussian", kernels::Corruption::kGaussian, 0.3},
        std::tuple{"salt-pepper", kernels::Corruption::kSaltPepper, 0.1}}) {
    std::unique_ptr<Model> model =
        Trained("denoising-ae",
                {std::string("noise=") + noise, "noise-level=" + std::to_string(level)}, 3000, 3,
                3e-3);
    // A fresh draw (another seed) on test images: denoising must generalize, not memorize.
    const Tensor corrupted = Corrupt(x, kind, level, 99, StreamOffset(Stream::kCorrupt, 0));
    const double input_error = SquaredErrorPerRow(corrupted, x);
    const double output_error = SquaredErrorPerRow(Reconstruct(*model, corrupted), x);
    // Closer by a margin (0.75): a model that learned to copy its input (e.g. one trained against
    // the corrupted image instead of the clean one) would sit near 1. Reached here: about 0.47
    // (mask), 0.19 (gaussian), 0.38 (salt-pepper).
    EXPECT_LT(output_error, 0.75 * input_error) << noise;
    // About 7-10% better than the plain model at this budget; the gap grows with training.
    EXPECT_LT(output_error, SquaredErrorPerRow(Reconstruct(*plain, corrupted), x)) << noise;
  }
}

TEST_F(DenseVariant, ContractiveEncoderHasSmallerJacobianAtComparableReconstruction) {
  std::unique_ptr<Model> cae = Trained("contractive-ae", {"latent-dim=64"}, 3000, 3, 1e-2);
  std::unique_ptr<Model> plain =
      Trained("contractive-ae", {"latent-dim=64", "lambda=0"}, 3000, 3, 1e-2);
  const Tensor& x = test_.images;
  const double cae_error = SquaredErrorPerRow(Reconstruct(*cae, x), x);
  const double plain_error = SquaredErrorPerRow(Reconstruct(*plain, x), x);
  NoGradGuard no_grad;
  const Tensor probe = x.Rows(0, 10);
  const double cae_j = JacobianNorm2(*cae, probe), plain_j = JacobianNorm2(*plain, probe);
  // Same architecture, data, steps and seed; only lambda differs. Comparable reconstruction:
  // squared error within 10% of the plain model's, so the smaller Jacobian is not bought by
  // giving up on reconstruction (a constant encoder has J = 0). Smaller: at most half.
  EXPECT_LT(cae_error, 1.1 * plain_error);
  EXPECT_LT(cae_j, 0.5 * plain_j);
}

// The mean training image is the best output of a model that ignores its input: beating it by
// half needs the code to carry each digit's shape.
TEST_F(DenseVariant, OvercompleteTrainsWithEitherRegularizer) {
  const Tensor& x = test_.images;
  const double baseline = MeanImageError(train_, x);
  for (const char* regularizer : {"sparse", "noise"}) {
    std::unique_ptr<Model> model =
        Trained("overcomplete-ae", {std::string("regularizer=") + regularizer}, 2000, 2, 1e-3);
    EXPECT_GT(model->code_size(), x.size(1));  // overcomplete: a code wider than the image
    EXPECT_LT(SquaredErrorPerRow(Reconstruct(*model, x), x), 0.5 * baseline) << regularizer;
  }
}

TEST_F(DenseVariant, DeepAeHasThePaperArchitectureAndLearns) {
  std::unique_ptr<Model> model = latent::testing::MakeModel("deep-ae", kMnist);
  // 784-1000-500-250-30 and its mirror: each of the 4 pairs of widths appears in the encoder
  // (in -> out) and the decoder (out -> in): weights 2 in out, biases out + in.
  const int64_t sizes[] = {784, 1000, 500, 250, 30};
  int64_t expected = 0;
  for (int i = 0; i < 4; ++i) expected += 2 * sizes[i] * sizes[i + 1] + sizes[i] + sizes[i + 1];
  EXPECT_EQ(model->params().count(), expected);
  EXPECT_EQ(model->code_size(), 30);
  // 94 steps of the full-size network: its error falls well below the mean image's (0.6: it
  // reached about 0.43 in this budget; a stack that does not yet use its code outputs the mean).
  const Tensor& x = test_.images;
  std::unique_ptr<Model> trained = Trained("deep-ae", {}, 3000, 2, 1e-3, 64);
  EXPECT_LT(SquaredErrorPerRow(Reconstruct(*trained, x), x), 0.6 * MeanImageError(train_, x));
}

}  // namespace
}  // namespace latent

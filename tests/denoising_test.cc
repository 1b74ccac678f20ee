// The denoising measure of `latent eval` (tools/eval/denoising.h): one result per noise in a
// fixed order, PSNRs of the corrupted images and of their reconstructions, and the examples a
// figure shows.
#include "tools/eval/denoising.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "tests/test_util.h"

namespace latent {
namespace {

Dataset Images(int64_t n) {
  Dataset d;
  d.height = d.width = 3;
  d.num_classes = 1;
  d.images = RandomUniform({n, 9}, 8, 0);
  d.labels = Tensor::FromVector(std::vector<int32_t>(n, 0), {n});
  return d;
}

class Denoising : public ::testing::Test {
 protected:
  void SetUp() override {
    ae_ = latent::testing::MakeModel("ae", {3, 3, 1}, {"latent-dim=2"});
    ae_->params().Allocate(Device::Cpu(), 1);
  }
  std::unique_ptr<Model> ae_;
};

TEST_F(Denoising, NoNoiseLeavesTheInputExactAndTheOutputAlike) {
  const Dataset test = Images(7);
  const std::vector<DenoisingResult> r = MeasureDenoising(*ae_, test, {0.0, 0.0, 0.0}, 1, 3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].noise, "gaussian");
  EXPECT_EQ(r[1].noise, "masking");
  EXPECT_EQ(r[2].noise, "salt-and-pepper");
  for (const DenoisingResult& d : r) {
    EXPECT_EQ(d.level, 0.0);
    EXPECT_EQ(d.psnr_noisy, std::numeric_limits<double>::infinity()) << d.noise;
    // Each input is the clean set itself, so each reconstruction is the same.
    EXPECT_EQ(d.psnr_output, r[0].psnr_output) << d.noise;
    EXPECT_TRUE(std::isfinite(d.psnr_output));
    // Fewer test images than examples asked for: all of them.
    EXPECT_EQ(d.noisy_examples.ToVector<float>(), test.images.ToVector<float>());
    EXPECT_EQ(d.output_examples.shape(), Shape({7, 9}));
  }
}

TEST_F(Denoising, PsnrOfTheCorruptedImagesAgainstTheClean) {
  const Dataset test = Images(20);
  NoiseLevels levels;
  levels.gaussian = 0.3;
  levels.masking = 1.0;  // every pixel 0: the PSNR of black images, 10 log10(1 / mean(x^2))
  levels.salt_and_pepper = 0.5;
  const std::vector<DenoisingResult> r = MeasureDenoising(*ae_, test, levels, 4, 6, 5);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].level, 0.3);
  EXPECT_EQ(r[1].level, 1.0);
  EXPECT_EQ(r[2].level, 0.5);
  double sum_sq = 0.0;
  for (float x : test.images.ToVector<float>()) sum_sq += static_cast<double>(x) * x;
  EXPECT_NEAR(r[1].psnr_noisy, 10 * std::log10(180 / sum_sq), 1e-6);
  EXPECT_EQ(r[1].noisy_examples.ToVector<float>(), std::vector<float>(5 * 9, 0.0f));
  EXPECT_EQ(r[0].output_examples.shape(), Shape({5, 9}));
  // Noise makes the input worse than an exact copy but not useless: a finite, positive PSNR.
  EXPECT_GT(r[0].psnr_noisy, 0.0);
  EXPECT_TRUE(std::isfinite(r[0].psnr_noisy));
  // The seed fixes the noise.
  const std::vector<DenoisingResult> again = MeasureDenoising(*ae_, test, levels, 4, 6, 5);
  const std::vector<DenoisingResult> other = MeasureDenoising(*ae_, test, levels, 5, 6, 5);
  EXPECT_EQ(again[0].psnr_noisy, r[0].psnr_noisy);
  EXPECT_EQ(again[2].psnr_output, r[2].psnr_output);
  EXPECT_NE(other[0].psnr_noisy, r[0].psnr_noisy);
}

}  // namespace
}  // namespace latent

// The one binarization of the test set (core/io/dataset.h BinarizeTestSet): binary, fixed by the
// seed, its own stream, and the same for a prefix of the set as for the whole.
#include <gtest/gtest.h>

#include <vector>

#include "core/io/dataset.h"
#include "core/random.h"

namespace latent {
namespace {

// n images of d pixels: pixel j of image i has grey level ((i + j) % 5) / 4, so 0 and 1 occur.
Dataset GreyImages(int64_t n, int64_t d) {
  Dataset data;
  data.height = 1;
  data.width = d;
  data.num_classes = 2;
  std::vector<float> pixels(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) pixels[i * d + j] = static_cast<float>((i + j) % 5) / 4.0f;
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = static_cast<int32_t>(i % 2);
  data.images = Tensor::FromVector(pixels, {n, d});
  data.labels = Tensor::FromVector(labels, {n});
  return data;
}

TEST(BinarizeTestSet, DrawsEachPixelAsBernoulliOfItsGreyLevel) {
  const Dataset grey = GreyImages(200, 50);
  const Dataset binary = BinarizeTestSet(grey, 3);
  ASSERT_EQ(binary.images.shape(), grey.images.shape());
  EXPECT_EQ(binary.labels.ToVector<int32_t>(), grey.labels.ToVector<int32_t>());
  EXPECT_EQ(binary.width, 50);
  const std::vector<float> p = grey.images.ToVector<float>();
  const std::vector<float> x = binary.images.ToVector<float>();
  double ones_at_half = 0.0, halves = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_TRUE(x[i] == 0.0f || x[i] == 1.0f) << x[i];
    if (p[i] == 0.0f || p[i] == 1.0f) {
      EXPECT_EQ(x[i], p[i]);
    } else if (p[i] == 0.5f) {
      halves += 1;
      ones_at_half += x[i];
    }
  }
  // 2000 draws of probability 1/2: a standard deviation of 0.011 on the fraction.
  EXPECT_NEAR(ones_at_half / halves, 0.5, 0.05);
}

TEST(BinarizeTestSet, FixedByTheSeedInItsOwnStream) {
  const Dataset grey = GreyImages(20, 30);
  const std::vector<float> a = BinarizeTestSet(grey, 3).images.ToVector<float>();
  EXPECT_EQ(BinarizeTestSet(grey, 3).images.ToVector<float>(), a);
  EXPECT_NE(BinarizeTestSet(grey, 4).images.ToVector<float>(), a);
  // Not a training batch's draw (the kBinarize stream): the test images are never trained on.
  EXPECT_NE(Bernoulli(grey.images, 3, StreamOffset(Stream::kBinarize, 0)).ToVector<float>(), a);
}

TEST(BinarizeTestSet, APrefixOfTheSetBinarizesAsInTheWholeSet) {
  const Dataset whole = GreyImages(40, 30);
  Dataset first = whole;
  first.images = whole.images.Rows(0, 15);
  first.labels = whole.labels.Rows(0, 15);
  EXPECT_EQ(BinarizeTestSet(first, 5).images.ToVector<float>(),
            BinarizeTestSet(whole, 5).images.Rows(0, 15).ToVector<float>());
}

}  // namespace
}  // namespace latent

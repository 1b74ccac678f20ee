#include "core/io/dataset.h"

#include <algorithm>
#include <numeric>

#include "core/autograd.h"
#include "core/io/idx.h"
#include "core/ops.h"
#include "core/random.h"

namespace latent {

Dataset LoadDataset(const std::string& dir, const std::string& split, Device device,
                    int64_t limit) {
  IdxSplit raw = LoadIdxSplit(dir, split);
  const int64_t n = limit > 0 ? std::min(limit, raw.count) : raw.count;
  const int64_t d = raw.rows * raw.cols;
  std::vector<float> pixels(n * d);
  // Grey levels 0..255 to [0, 1], as torchvision's ToTensor does.
  for (int64_t i = 0; i < n * d; ++i) pixels[i] = raw.images[i] / 255.0f;
  std::vector<int32_t> labels(raw.labels.begin(), raw.labels.begin() + n);
  Dataset data;
  data.images = Tensor::FromVector(pixels, {n, d}, device);
  data.labels = Tensor::FromVector(labels, {n}, device);
  data.height = raw.rows;
  data.width = raw.cols;
  data.num_classes = labels.empty() ? 0 : 1 + *std::max_element(labels.begin(), labels.end());
  return data;
}

void CheckSameImageShape(const Dataset& train, const Dataset& test) {
  LATENT_CHECK(train.height == test.height && train.width == test.width,
               "expected test images of the training images' shape, ", train.height, "x",
               train.width, ", found ", test.height, "x", test.width);
}

Dataset BinarizeTestSet(const Dataset& test, uint64_t seed) {
  Dataset binary = test;
  binary.images = Bernoulli(test.images, seed, StreamOffset(Stream::kTestBinarize, 0));
  return binary;
}

BatchSampler::BatchSampler(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
                           uint64_t epoch, Stream stream)
    : data_(data), n_(data.size()), batch_size_(batch_size) {
  LATENT_CHECK(batch_size > 0, "batch size must be positive, found ", batch_size);
  LATENT_CHECK(n_ > 0, "the data set is empty");
  std::vector<int32_t> order(n_);
  if (shuffle) {
    order = Permutation(n_, seed, StreamOffset(stream, epoch));
  } else {
    std::iota(order.begin(), order.end(), 0);
  }
  order_ = Tensor::FromVector(order, {n_}, data.images.device());  // one upload per epoch
}

Tensor BatchSampler::BatchIndex(int64_t i) const {
  LATENT_CHECK(i >= 0 && i < num_batches(), "batch ", i, " out of range [0, ", num_batches(), ")");
  return order_.Rows(i * batch_size_, std::min(n_, (i + 1) * batch_size_));
}

Tensor BatchSampler::Images(int64_t i) const {
  NoGradGuard no_grad;
  return GatherRows(data_.images, BatchIndex(i));
}

Tensor BatchSampler::Labels(int64_t i) const { return GatherRows(data_.labels, BatchIndex(i)); }

}  // namespace latent

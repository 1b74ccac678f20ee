#include "core/io/dataset.h"

#include <algorithm>
#include <numeric>

#include "core/autograd.h"
#include "core/io/idx.h"
#include "core/ops.h"
#include "core/random.h"

namespace latent {

namespace {

// Images [begin, end) of a loaded split, uploaded to `device`.
Dataset Rows(const IdxSplit& raw, int64_t begin, int64_t end, Device device) {
  const int64_t n = end - begin;
  const int64_t d = raw.rows * raw.cols;
  std::vector<float> pixels(n * d);
  // Grey levels 0..255 to [0, 1], as torchvision's ToTensor does.
  for (int64_t i = 0; i < n * d; ++i) pixels[i] = raw.images[begin * d + i] / 255.0f;
  std::vector<int32_t> labels(raw.labels.begin() + begin, raw.labels.begin() + end);
  Dataset data;
  data.images = Tensor::FromVector(pixels, {n, d}, device);
  data.labels = Tensor::FromVector(labels, {n}, device);
  data.height = raw.rows;
  data.width = raw.cols;
  data.num_classes = labels.empty() ? 0 : 1 + *std::max_element(labels.begin(), labels.end());
  return data;
}

Dataset BinarizeFrom(const Dataset& data, uint64_t seed, Stream stream) {
  Dataset binary = data;
  binary.images = Bernoulli(data.images, seed, StreamOffset(stream, 0));
  return binary;
}

}  // namespace

Dataset LoadDataset(const std::string& dir, const std::string& split, Device device,
                    int64_t limit) {
  IdxSplit raw = LoadIdxSplit(dir, split);
  return Rows(raw, 0, limit > 0 ? std::min(limit, raw.count) : raw.count, device);
}

TrainValSplit LoadTrainValSplit(const std::string& dir, const std::string& split, Device device,
                                int64_t train_limit, int64_t val_size) {
  LATENT_CHECK(val_size >= 0, "holding out ", val_size,
               " validation images: expected a count of 0 or more");
  if (val_size == 0) return {LoadDataset(dir, split, device, train_limit), Dataset()};
  IdxSplit raw = LoadIdxSplit(dir, split);
  LATENT_CHECK(val_size < raw.count, "holding out ", val_size,
               " validation images (--val-size): expected fewer than the ", raw.count,
               " images of split '", split, "' in ", dir, ", so that some are left to train on");
  const int64_t rest = raw.count - val_size;
  const int64_t train_end = train_limit > 0 ? std::min(train_limit, rest) : rest;
  return {Rows(raw, 0, train_end, device), Rows(raw, rest, raw.count, device)};
}

void CheckSameImageShape(const Dataset& train, const Dataset& test) {
  LATENT_CHECK(train.height == test.height && train.width == test.width,
               "expected test images of the training images' shape, ", train.height, "x",
               train.width, ", found ", test.height, "x", test.width);
}

Dataset BinarizeTestSet(const Dataset& test, uint64_t seed) {
  return BinarizeFrom(test, seed, Stream::kTestBinarize);
}

Dataset BinarizeValidationSet(const Dataset& val, uint64_t seed) {
  return BinarizeFrom(val, seed, Stream::kValBinarize);
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

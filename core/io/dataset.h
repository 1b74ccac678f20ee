// A labelled image data set resident on the training device, and its minibatches.
//
// The whole split is uploaded once: images as f32 grey levels in [0, 1], one row per image
// (N, H*W), labels as i32 (N). A minibatch is a row gather by index on the device, so the
// training step never copies pixels between host and device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace latent {

struct Dataset {
  Tensor images;  // (N, H*W) f32 in [0, 1]
  Tensor labels;  // (N) i32
  int64_t height = 0, width = 0;
  int num_classes = 0;  // 1 + the largest label

  int64_t size() const { return images.defined() ? images.size(0) : 0; }
  int64_t features() const { return height * width; }
};

// Loads split "train" or "t10k" of an IDX directory (core/io/idx.h). `limit` > 0 keeps only the
// first `limit` examples (small slices for tests). The split holds at least one image, of 1 to
// kMaxImageSide rows and columns (LoadIdxSplit rejects any other before a pixel is converted).
Dataset LoadDataset(const std::string& dir, const std::string& split, Device device,
                    int64_t limit = -1);

// Split `split` of an IDX directory divided in two: `val` is its last `val_size` images as stored
// in the files, `train` the images before them, of which `train_limit` > 0 keeps the first
// min(train_limit, count - val_size). The last images rather than a random draw, so that a
// --train-limit slice and a resumed run hold out the same ones and no shuffle can mix them in.
// val_size 0: no validation set (`val` empty) and `train` is LoadDataset(dir, split, device,
// train_limit), the same images. Throws latent::Error unless 0 <= val_size < the split's count.
struct TrainValSplit {
  Dataset train, val;
};
TrainValSplit LoadTrainValSplit(const std::string& dir, const std::string& split, Device device,
                                int64_t train_limit, int64_t val_size);

// Throws latent::Error unless `test` holds images of the same height and width as `train`: a
// model built for 28x28 images must not be tested on 14x56 ones, though both have 784 pixels.
void CheckSameImageShape(const Dataset& train, const Dataset& test);

// The test set with each grey level p replaced by a Bernoulli(p) draw: the one binarization on
// which a run trained with dynamic binarization is tested, by training after each epoch and by
// `latent eval` alike, so that both report losses of the same images. Drawn from the stream
// (seed, Stream::kTestBinarize) with pixel j of image i at counter i * H*W + j, so the first n
// images binarize alike whether the set holds n of them or all (a --test-limit slice of a run
// is scored on the images its training saw).
Dataset BinarizeTestSet(const Dataset& test, uint64_t seed);
// The same for a validation set, from its own stream (seed, Stream::kValBinarize).
Dataset BinarizeValidationSet(const Dataset& val, uint64_t seed);

// The minibatches of one epoch, in the order of a seeded permutation (or in order when not
// shuffled): the permutation of stream (seed, `stream`) at counter `epoch`, so that training
// epochs (kShuffle) and other passes over the data (kPretrain) never share an order. The last
// batch may be smaller.
class BatchSampler {
 public:
  BatchSampler(const Dataset& data, int64_t batch_size, bool shuffle, uint64_t seed,
               uint64_t epoch, Stream stream = Stream::kShuffle);
  int64_t num_batches() const { return (n_ + batch_size_ - 1) / batch_size_; }
  // Images (b, H*W) and labels (b) of batch `i`.
  Tensor Images(int64_t i) const;
  Tensor Labels(int64_t i) const;

 private:
  Tensor BatchIndex(int64_t i) const;

  const Dataset& data_;
  int64_t n_, batch_size_;
  Tensor order_;  // i32 (N) on the data's device
};

}  // namespace latent

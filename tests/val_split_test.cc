// The validation split: the last images of the training file, never in a training batch, with
// its own fixed binarization; and the rule that stops training early.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "models/model.h"
#include "models/train/trainer.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

constexpr int64_t kCount = 100;  // images in the synthetic split
constexpr int64_t kSide = 2;     // of 2x2 pixels

void WriteIdx(const std::string& path, const std::vector<uint32_t>& dims,
              const std::vector<uint8_t>& data) {
  std::vector<uint8_t> bytes;
  const auto append = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(v >> shift));
  };
  append(0x0800 + static_cast<uint32_t>(dims.size()));
  for (uint32_t d : dims) append(d);
  bytes.insert(bytes.end(), data.begin(), data.end());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A training split whose image i has every pixel i, so an image read back names its position in
// the file.
class ValSplit : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<uint8_t> pixels, labels;
    for (int64_t i = 0; i < kCount; ++i) {
      pixels.insert(pixels.end(), kSide * kSide, static_cast<uint8_t>(i));
      labels.push_back(static_cast<uint8_t>(i % 10));
    }
    WriteIdx(dir_.Path("train-images-idx3-ubyte"), {kCount, kSide, kSide}, pixels);
    WriteIdx(dir_.Path("train-labels-idx1-ubyte"), {kCount}, labels);
  }
  // The file positions of a data set's images.
  static std::vector<int64_t> Positions(const Tensor& images) {
    std::vector<int64_t> out;
    const std::vector<float> values = images.ToVector<float>();
    for (size_t i = 0; i < values.size(); i += kSide * kSide)
      out.push_back(std::lround(values[i] * 255.0f));
    return out;
  }
  static std::vector<int64_t> Range(int64_t begin, int64_t end) {
    std::vector<int64_t> out;
    for (int64_t i = begin; i < end; ++i) out.push_back(i);
    return out;
  }
  TrainValSplit Load(int64_t train_limit, int64_t val_size) {
    return LoadTrainValSplit(dir_.dir(), "train", Device::Cpu(), train_limit, val_size);
  }

  latent::testing::ScratchDir dir_{"val_split"};
};

TEST_F(ValSplit, ValidationIsTheLastImagesOfTheFileAndTrainingTheOnesBefore) {
  const TrainValSplit split = Load(0, 20);
  EXPECT_EQ(Positions(split.train.images), Range(0, 80));
  EXPECT_EQ(Positions(split.val.images), Range(80, 100));
  EXPECT_EQ(split.val.labels.ToVector<int32_t>()[0], 80 % 10);
  EXPECT_EQ(split.val.height, kSide);
  // --train-limit cuts the training part only, and never reaches into the validation images.
  EXPECT_EQ(Positions(Load(50, 20).train.images), Range(0, 50));
  EXPECT_EQ(Positions(Load(95, 20).train.images), Range(0, 80));
  EXPECT_EQ(Positions(Load(95, 20).val.images), Range(80, 100));
}

TEST_F(ValSplit, NoValidationIsTheWholeSplitAsBefore) {
  const TrainValSplit split = Load(30, 0);
  EXPECT_EQ(split.val.size(), 0);
  const Dataset plain = LoadDataset(dir_.dir(), "train", Device::Cpu(), 30);
  EXPECT_EQ(split.train.images.ToVector<float>(), plain.images.ToVector<float>());
  EXPECT_EQ(split.train.labels.ToVector<int32_t>(), plain.labels.ToVector<int32_t>());
  EXPECT_EQ(Positions(Load(0, 0).train.images), Range(0, kCount));
}

TEST_F(ValSplit, AValidationSetLeavingNothingToTrainOnIsAnError) {
  ExpectErrorContaining([&] { Load(0, kCount); },
                        {"holding out 100 validation images", "expected fewer than the 100 images",
                         dir_.dir()});
  ExpectErrorContaining([&] { Load(0, 250); }, {"250", "fewer than the 100"});
  EXPECT_EQ(Load(0, kCount - 1).train.size(), 1);
}

TEST_F(ValSplit, TrainingBatchesNeverHoldAValidationImage) {
  const TrainValSplit split = Load(0, 20);
  std::set<int64_t> seen;
  for (uint64_t epoch = 1; epoch <= 3; ++epoch) {
    BatchSampler batches(split.train, 16, /*shuffle=*/true, 7, epoch);
    for (int64_t b = 0; b < batches.num_batches(); ++b) {
      for (int64_t p : Positions(batches.Images(b))) seen.insert(p);
    }
  }
  ASSERT_EQ(seen.size(), 80u);  // every training image, each epoch a permutation of them
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 79);
}

TEST_F(ValSplit, ValidationBinarizationIsFixedAndNotTheTestSets) {
  Dataset grey = Load(0, 0).train;
  grey.images = Tensor::FromVector(std::vector<float>(kCount * kSide * kSide, 0.5f),
                                   {kCount, kSide * kSide});
  const std::vector<float> val = BinarizeValidationSet(grey, 3).images.ToVector<float>();
  EXPECT_EQ(val, BinarizeValidationSet(grey, 3).images.ToVector<float>());
  EXPECT_NE(val, BinarizeTestSet(grey, 3).images.ToVector<float>());
  for (float v : val) EXPECT_TRUE(v == 0.0f || v == 1.0f);
}

// The trainer scores the validation set after each epoch as the test set is: on one fixed
// binarization, drawn from the validation stream. Scored here on the test images themselves, so
// the two losses differ only by their draws.
TEST(ValidationInTraining, EachEpochScoresTheValidationSetsOwnBinarization) {
  const std::string data = latent::testing::MnistDir();
  if (data.empty()) GTEST_SKIP() << "MNIST not found in data/mnist (run tools/fetch_data.sh)";
  const Dataset train = LoadDataset(data, "train", Device::Cpu(), 128);
  const Dataset test = LoadDataset(data, "t10k", Device::Cpu(), 64);
  std::unique_ptr<Model> model = latent::testing::MakeModel("vae", {28, 28, 10}, {"hidden=32"});
  model->params().Allocate(Device::Cpu(), 3);
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 64;
  options.binarize = true;
  options.seed = 3;
  Trainer trainer(*model, options);
  std::vector<double> expected;
  trainer.Run(train, test, [&] {
    expected.push_back(Evaluate(*model, BinarizeValidationSet(test, 3), 64, 3).loss);
  }, /*val=*/test);
  const std::vector<EpochMetrics>& history = trainer.state().history;
  ASSERT_EQ(history.size(), 2u);
  for (size_t e = 0; e < history.size(); ++e) {
    ASSERT_TRUE(history[e].val);
    EXPECT_EQ(history[e].val->loss, expected[e]);
    EXPECT_NE(history[e].val->loss, history[e].test.loss);  // not the test set's draw
    EXPECT_EQ(history[e].val->parts.size(), history[e].test.parts.size());
  }
  // Patience 0: every epoch runs even when the loss does not improve.
  EXPECT_EQ(trainer.state().epoch, 2);

  // Without a validation set nothing is scored or recorded.
  Trainer plain(*model, options);
  plain.Run(train, test, [] {});
  EXPECT_FALSE(plain.state().history.back().val);
  EXPECT_EQ(plain.state().best_epoch, 0);
}

TEST(EarlyStopping, TheBestIsTheFirstStrictlyLowestLoss) {
  TrainState state;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> losses = {5.0, 4.0, 4.0, nan, 3.0, 3.5};
  const std::vector<int> best = {1, 2, 2, 2, 5, 5};
  const std::vector<int> since = {0, 0, 1, 2, 0, 1};
  for (size_t e = 0; e < losses.size(); ++e) {
    RecordValidation(state, static_cast<int>(e) + 1, losses[e]);
    EXPECT_EQ(state.best_epoch, best[e]) << "epoch " << e + 1;
    EXPECT_EQ(state.epochs_since_best, since[e]) << "epoch " << e + 1;
  }
  EXPECT_EQ(state.best_val_loss, 3.0);
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutANewBest) {
  TrainState state;
  const std::vector<double> losses = {5.0, 4.0, 4.5, 4.2, 3.0};
  std::vector<bool> stop;
  for (size_t e = 0; e < losses.size(); ++e) {
    RecordValidation(state, static_cast<int>(e) + 1, losses[e]);
    stop.push_back(ShouldStopEarly(state, 2));
    EXPECT_FALSE(ShouldStopEarly(state, 0)) << "patience 0 never stops";
  }
  EXPECT_EQ(stop, std::vector<bool>({false, false, false, true, false}));
  EXPECT_FALSE(ShouldStopEarly(state, 1));
  RecordValidation(state, 6, 3.0);  // equal is not better
  EXPECT_TRUE(ShouldStopEarly(state, 1));
}

}  // namespace
}  // namespace latent

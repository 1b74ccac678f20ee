// metrics.csv: what MetricsCsv writes reads back to the same doubles, and every malformed file is
// an error naming the file, the line and what was expected.
#include <gtest/gtest.h>

#include <cmath>

#include "models/train/metrics.h"
#include "tests/test_util.h"

namespace latent {
namespace {

std::vector<EpochMetrics> History() {
  std::vector<EpochMetrics> history(3);
  for (int i = 0; i < 3; ++i) {
    EpochMetrics& m = history[i];
    m.epoch = i + 1;
    // Values whose shortest decimal forms need all 17 digits, or have huge or tiny exponents.
    m.train.loss = 1.0 / 3.0 + i;
    m.test.loss = std::nextafter(126.869, 200.0);
    m.train.parts = {{"kl", 0.1 * (i + 1)}, {"recon", 1e-300}};
    m.test.parts = {{"kl", std::sqrt(2.0)}, {"recon", 6.02214076e23}};
    m.seconds = 12.345678901234567;
  }
  return history;
}

void ExpectSame(const std::vector<EpochMetrics>& a, const std::vector<EpochMetrics>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].epoch, b[i].epoch);
    EXPECT_EQ(a[i].train.loss, b[i].train.loss);  // exactly: 17 significant digits
    EXPECT_EQ(a[i].test.loss, b[i].test.loss);
    EXPECT_EQ(a[i].train.parts, b[i].train.parts);
    EXPECT_EQ(a[i].test.parts, b[i].test.parts);
    EXPECT_EQ(a[i].seconds, b[i].seconds);
    ASSERT_EQ(a[i].val.has_value(), b[i].val.has_value());
    if (a[i].val) {
      EXPECT_EQ(a[i].val->loss, b[i].val->loss);
      EXPECT_EQ(a[i].val->parts, b[i].val->parts);
    }
  }
}

std::vector<EpochMetrics> HistoryWithValidation() {
  std::vector<EpochMetrics> history = History();
  for (EpochMetrics& m : history) m.val = Evaluation{std::nextafter(100.0, 0.0) + m.epoch,
                                                     {{"kl", 1.0 / 7.0}, {"recon", 1e-200}}};
  return history;
}

TEST(MetricsCsv, RoundTripsEveryDoubleExactly) {
  const std::vector<EpochMetrics> history = History();
  const std::string text = MetricsCsv(history);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "epoch,train_loss,test_loss,train_kl,test_kl,train_recon,test_recon,seconds");
  ExpectSame(ParseMetricsCsv(text, "metrics.csv"), history);
  EXPECT_EQ(MetricsCsv(ParseMetricsCsv(text, "metrics.csv")), text);
}

TEST(MetricsCsv, ValidationColumnsOnlyWhenTheRunValidates) {
  const std::vector<EpochMetrics> history = HistoryWithValidation();
  const std::string text = MetricsCsv(history);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "epoch,train_loss,test_loss,val_loss,train_kl,test_kl,val_kl,train_recon,test_recon,"
            "val_recon,seconds");
  ExpectSame(ParseMetricsCsv(text, "metrics.csv"), history);
  EXPECT_EQ(MetricsCsv(ParseMetricsCsv(text, "metrics.csv")), text);
  // Without validation the file is the one written before validation existed, and reads back
  // without it.
  EXPECT_EQ(MetricsCsv(History()).find("val"), std::string::npos);
  for (const EpochMetrics& m : ParseMetricsCsv(MetricsCsv(History()), "m")) EXPECT_FALSE(m.val);
  const std::vector<EpochMetrics> old =
      ParseMetricsCsv("epoch,train_loss,test_loss,train_kl,test_kl,seconds\n1,2,3,4,5,6\n", "m");
  ASSERT_EQ(old.size(), 1u);
  EXPECT_FALSE(old[0].val);
  EXPECT_EQ(old[0].test.parts.at("kl"), 5.0);
  const std::vector<EpochMetrics> read = ParseMetricsCsv(
      "epoch,train_loss,test_loss,val_loss,train_kl,test_kl,val_kl,seconds\n1,2,3,4,5,6,7,8\n",
      "m");
  ASSERT_TRUE(read[0].val);
  EXPECT_EQ(read[0].val->loss, 4.0);
  EXPECT_EQ(read[0].val->parts.at("kl"), 7.0);
  EXPECT_EQ(read[0].test.parts.at("kl"), 6.0);
  EXPECT_EQ(read[0].seconds, 8.0);

  using latent::testing::ExpectErrorContaining;
  std::vector<EpochMetrics> mixed = history;
  mixed[1].val.reset();
  ExpectErrorContaining([&] { MetricsCsv(mixed); },
                        {"epoch 2", "expected a validation loss as epoch 1 has", "found none"});
  ExpectErrorContaining(
      [] {
        ParseMetricsCsv("epoch,train_loss,test_loss,val_loss,train_kl,test_kl,seconds\n", "m");
      },
      {"m line 1", "expected a header"});
  ExpectErrorContaining(
      [] {
        ParseMetricsCsv("epoch,train_loss,test_loss,val_loss,train_kl,test_kl,val_x,seconds\n",
                        "m");
      },
      {"m line 1", "found columns 'train_kl' and 'test_kl' and 'val_x'"});
}

TEST(MetricsCsv, NoEpochsIsAnEmptyFile) {
  EXPECT_EQ(MetricsCsv({}), "");
  EXPECT_TRUE(ParseMetricsCsv("", "metrics.csv").empty());
  // A header alone is a file of zero epochs too.
  EXPECT_TRUE(ParseMetricsCsv("epoch,train_loss,test_loss,seconds\n", "m").empty());
}

TEST(MetricsCsv, MalformedFilesNameTheLineAndTheProblem) {
  using latent::testing::ExpectErrorContaining;
  const auto parse = [](const std::string& text) {
    return [text] { ParseMetricsCsv(text, "m.csv"); };
  };
  ExpectErrorContaining(parse("epoch,loss,seconds\n"),
                        {"m.csv line 1", "expected a header 'epoch,train_loss,test_loss"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,train_kl,test_x,seconds\n"),
                        {"m.csv line 1", "found columns 'train_kl' and 'test_x'"});
  ExpectErrorContaining(
      parse("epoch,train_loss,test_loss,train_kl,test_kl,train_kl,test_kl,seconds\n"),
      {"m.csv line 1", "expected each part once, found 'kl' twice"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n1,2,3\n"),
                        {"m.csv line 2", "expected 4 cells as in the header, found 3"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n1,2,x3,4\n"),
                        {"m.csv line 2", "expected a number, found 'x3'"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n1,2,,4\n"),
                        {"m.csv line 2", "expected a number, found ''"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n1,2,1e999,4\n"),
                        {"m.csv line 2", "expected a number, found '1e999'"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n2,1,1,1\n"),
                        {"m.csv line 2", "expected epoch 1", "found '2'"});
  ExpectErrorContaining(parse("epoch,train_loss,test_loss,seconds\n1,1,1,1"),
                        {"m.csv line 2", "expected the line to end with a newline"});
}

}  // namespace
}  // namespace latent

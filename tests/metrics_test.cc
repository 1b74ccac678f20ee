// AUROC, ROC curves and PSNR (tools/eval/metrics.h) against hand-worked examples, the Mann-Whitney pair
// count on data with many ties, and errors that say what was expected.
#include "tools/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "core/random.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;

TEST(Metrics, AurocExtremes) {
  const std::vector<double> scores = {0.1, 0.2, 0.3, 0.4};
  EXPECT_EQ(Auroc(scores, {false, false, true, true}), 1.0);
  EXPECT_EQ(Auroc(scores, {true, true, false, false}), 0.0);
  EXPECT_EQ(Auroc({2, 2, 2, 2, 2}, {true, false, false, true, false}), 0.5);
}

// Positives 0.9, 0.7, 0.4; negatives 0.8, 0.4, 0.3, 0.1 (shuffled). Mann-Whitney U counts, per
// positive, the negatives below it plus half the tied ones: 4 + 3 + (2 + 1/2) = 9.5 of 3 * 4.
const std::vector<double> kHandScores = {0.4, 0.1, 0.9, 0.8, 0.3, 0.7, 0.4};
const std::vector<bool> kHandPositive = {false, false, true, false, false, true, true};

TEST(Metrics, AurocIsTheMannWhitneyStatistic) {
  EXPECT_DOUBLE_EQ(Auroc(kHandScores, kHandPositive), 9.5 / 12.0);
}

double TrapezoidArea(const std::vector<RocPoint>& curve) {
  double area = 0.0;
  for (size_t i = 1; i < curve.size(); ++i)
    area += (curve[i].false_positive_rate - curve[i - 1].false_positive_rate) *
            (curve[i].true_positive_rate + curve[i - 1].true_positive_rate) / 2.0;
  return area;
}

TEST(Metrics, RocCurveOfTheHandExample) {
  // From the highest score: 0.9 P, 0.8 N, 0.7 P, 0.4 {P, N} (one diagonal step), 0.3 N, 0.1 N.
  const std::vector<RocPoint> curve = RocCurve(kHandScores, kHandPositive);
  const std::vector<std::pair<double, double>> expected = {
      {0, 0}, {0, 1.0 / 3}, {0.25, 1.0 / 3}, {0.25, 2.0 / 3}, {0.5, 1}, {0.75, 1}, {1, 1}};
  ASSERT_EQ(curve.size(), expected.size());
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve[i].false_positive_rate, expected[i].first) << i;
    EXPECT_DOUBLE_EQ(curve[i].true_positive_rate, expected[i].second) << i;
  }
  EXPECT_DOUBLE_EQ(TrapezoidArea(curve), 9.5 / 12.0);
}

TEST(Metrics, RocAreaAndAurocAgreeWithPairCounting) {
  // 1000 examples with scores on 10 levels (many ties), labels correlated with the score.
  const std::vector<double> u = RandomUniform({2000}, 9, 0, DType::kF64).ToVector<double>();
  std::vector<double> scores(1000);
  std::vector<bool> positive(1000);
  for (int i = 0; i < 1000; ++i) {
    scores[i] = std::floor(10.0 * u[i]);
    positive[i] = u[1000 + i] < 0.2 + 0.06 * scores[i];
  }
  // The definition, over every (positive, negative) pair.
  double wins = 0.0, pairs = 0.0;
  for (int i = 0; i < 1000; ++i)
    for (int j = 0; j < 1000; ++j)
      if (positive[i] && !positive[j]) {
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        pairs += 1.0;
      }
  const double auroc = Auroc(scores, positive);
  EXPECT_NEAR(auroc, wins / pairs, 1e-12);
  EXPECT_GT(auroc, 0.6);  // the labels do depend on the score
  const std::vector<RocPoint> curve = RocCurve(scores, positive);
  ASSERT_EQ(curve.size(), 11u);  // (0, 0) and one point per distinct score
  EXPECT_EQ(curve.front().false_positive_rate, 0.0);
  EXPECT_EQ(curve.front().true_positive_rate, 0.0);
  EXPECT_EQ(curve.back().false_positive_rate, 1.0);
  EXPECT_EQ(curve.back().true_positive_rate, 1.0);
  for (size_t i = 1; i < curve.size(); ++i) {
    EXPECT_GE(curve[i].false_positive_rate, curve[i - 1].false_positive_rate);
    EXPECT_GE(curve[i].true_positive_rate, curve[i - 1].true_positive_rate);
  }
  EXPECT_NEAR(TrapezoidArea(curve), auroc, 1e-12);
}

TEST(Metrics, AurocArgumentErrors) {
  ExpectErrorContaining([] { Auroc({1, 2, 3}, {true, true, true}); },
                        {"at least one positive and one negative", "3 positives and 0 negatives"});
  ExpectErrorContaining([] { RocCurve({1, 2}, {false, false}); },
                        {"ROC curve", "0 positives and 2 negatives"});
  ExpectErrorContaining([] { Auroc({1, 2, 3}, {true, false}); },
                        {"one label per score (3 scores)", "found 2 labels"});
  ExpectErrorContaining([] { Auroc({1, std::nan(""), 3}, {true, false, true}); },
                        {"NaN", "index 1"});
}

TEST(Metrics, PsnrKnownValues) {
  // Every value off by 0.1: MSE 0.01, PSNR 10 log10(1 / 0.01) = 20 dB (0.1f is 0.1 to 1.5e-9,
  // which moves the result by about 1.3e-7 dB).
  const std::vector<float> reference(100, 0.3f);
  std::vector<float> image(100);
  for (int i = 0; i < 100; ++i) image[i] = i % 2 ? 0.4f : 0.2f;
  EXPECT_NEAR(Psnr(reference.data(), image.data(), 100), 20.0, 1e-5);
  // Peak 2, differences 0.5 (exact in f32): 10 log10(4 / 0.25) = 10 log10(16).
  const std::vector<float> zeros(8, 0.0f), halves(8, 0.5f);
  EXPECT_NEAR(Psnr(zeros.data(), halves.data(), 8, 2.0), 10.0 * std::log10(16.0), 1e-12);
  // Half the values exact, half off by 1: MSE 1/2, 10 log10(2) dB.
  const std::vector<float> mixed = {0, 1, 0, 1};
  EXPECT_NEAR(Psnr(zeros.data(), mixed.data(), 4), 10.0 * std::log10(2.0), 1e-12);
  EXPECT_EQ(Psnr(reference.data(), reference.data(), 100),
            std::numeric_limits<double>::infinity());
  ExpectErrorContaining([&] { Psnr(zeros.data(), zeros.data(), 0); }, {"at least one", "n = 0"});
  ExpectErrorContaining([&] { Psnr(zeros.data(), zeros.data(), 8, 0.0); }, {"positive peak"});
}

}  // namespace
}  // namespace latent

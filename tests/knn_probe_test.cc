// The k-NN probe (tools/eval/knn_probe.h): answers worked out by hand, its tie rules, the blocking
// of the distance matrix, and agreement with a brute-force double-precision classifier.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "core/random.h"
#include "tests/test_util.h"
#include "tools/eval/knn_probe.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

Tensor Points(const std::vector<float>& values, int64_t dims) {
  return Tensor::FromVector<float>(values, {static_cast<int64_t>(values.size()) / dims, dims});
}
Tensor Labels(const std::vector<int32_t>& values) {
  return Tensor::FromVector<int32_t>(values, {static_cast<int64_t>(values.size())});
}

// Two clusters on a line, class 0 near 0 and class 1 near 10, plus one class-0 outlier at 9:
//   train x = 0 1 2 | 10 11 | 9,  labels 0 0 0 | 1 1 | 0.
// The query 9.4 has 1-NN the outlier (0.4 away) but 3-NN {9, 10, 11}: class 1 by 2 votes to 1.
// The query 5 has 3-NN {2 (3 away), 1 and 9 (4 away)}: class 0.
TEST(KnnProbe, HandMadePointsGiveTheVotesWorkedOutByHand) {
  const Tensor train = Points({0, 1, 2, 10, 11, 9}, 1);
  const Tensor labels = Labels({0, 0, 0, 1, 1, 0});
  const Tensor queries = Points({9.4f, 5, -3, 10.6f}, 1);
  EXPECT_EQ(KnnPredict(train, labels, queries, 2, 1), (std::vector<int32_t>{0, 0, 0, 1}));
  EXPECT_EQ(KnnPredict(train, labels, queries, 2, 3), (std::vector<int32_t>{1, 0, 0, 1}));
  // k = N: every query gets the majority of the whole set, class 0 (4 of 6).
  EXPECT_EQ(KnnPredict(train, labels, queries, 2, 6), (std::vector<int32_t>{0, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(KnnAccuracy(train, labels, queries, Labels({1, 0, 0, 1}), 2, 3), 1.0);
  EXPECT_DOUBLE_EQ(KnnAccuracy(train, labels, queries, Labels({1, 0, 1, 0}), 2, 3), 0.5);
}

// A vote tied between classes goes to the class of the nearest of the tied neighbours, whatever
// the labels' numbers; equal distances rank the lower training index first. In 2-D:
//   train (0, 1) label 1, (0, -2) label 0, (3, 0) label 2;  query (0, 0).
TEST(KnnProbe, TiesGoToTheNearestTiedClass) {
  const Tensor queries = Points({0, 0}, 2);
  const Tensor train = Points({0, 1, 0, -2, 3, 0}, 2);
  // k = 2: one vote each for 1 (1 away) and 0 (2 away): 1, although 0 is the smaller label.
  EXPECT_EQ(KnnPredict(train, Labels({1, 0, 2}), queries, 3, 2), std::vector<int32_t>{1});
  // The same with the labels swapped: the nearer point's class still wins.
  EXPECT_EQ(KnnPredict(train, Labels({0, 1, 2}), queries, 3, 2), std::vector<int32_t>{0});
  // k = 3: a three-way tie, won by the nearest point's class.
  EXPECT_EQ(KnnPredict(train, Labels({2, 0, 1}), queries, 3, 3), std::vector<int32_t>{2});
  // Two training points at the same distance, 1 away: the lower index is the nearer.
  const Tensor equidistant = Points({1, 0, -1, 0}, 2);
  EXPECT_EQ(KnnPredict(equidistant, Labels({1, 0}), queries, 2, 1), std::vector<int32_t>{1});
  EXPECT_EQ(KnnPredict(equidistant, Labels({0, 1}), queries, 2, 1), std::vector<int32_t>{0});
}

// Random points in 8-D, labels drawn at random (so nothing but the point itself predicts them).
struct RandomSet {
  Tensor points, labels;
};
RandomSet MakeRandomSet(int64_t n, int64_t dims, int classes, uint64_t seed) {
  RandomSet set;
  set.points = RandomNormal({n, dims}, seed, 0, DType::kF32);
  std::vector<int32_t> labels(n);
  const std::vector<float> u = RandomUniform({n}, seed + 1, 0, DType::kF32).ToVector<float>();
  for (int64_t i = 0; i < n; ++i)
    labels[i] = std::min(classes - 1, static_cast<int>(u[i] * classes));
  set.labels = Labels(labels);
  return set;
}

// Each training point is its own nearest neighbour (distance 0), so 1-NN classifies the training
// set perfectly even with random labels, which a wrong distance would not.
TEST(KnnProbe, OneNearestNeighbourOnTheTrainingSetIsPerfect) {
  const RandomSet set = MakeRandomSet(300, 8, 10, 5);
  EXPECT_DOUBLE_EQ(KnnAccuracy(set.points, set.labels, set.points, set.labels, 10, 1), 1.0);
  // With k = 5 the neighbours outvote the point: well below 1 on random labels.
  EXPECT_LT(KnnAccuracy(set.points, set.labels, set.points, set.labels, 10, 5), 0.8);
}

// Blocks of 1, 7 (ragged: 200 = 28 x 7 + 4) and 64 rows give the predictions of one block of all.
TEST(KnnProbe, BlockedEqualsUnblocked) {
  const RandomSet train = MakeRandomSet(500, 8, 10, 11);
  const RandomSet test = MakeRandomSet(200, 8, 10, 12);
  const std::vector<int32_t> whole = KnnPredict(train.points, train.labels, test.points, 10, 5,
                                                200);
  for (int64_t block : {1, 7, 64})
    EXPECT_EQ(KnnPredict(train.points, train.labels, test.points, 10, 5, block), whole) << block;
}

// The brute force: distances summed in double from the differences, sorted, the same vote.
std::vector<int32_t> BruteForce(const RandomSet& train, const RandomSet& test, int classes,
                                int64_t k) {
  const int64_t N = train.points.size(0), Q = test.points.size(0), D = train.points.size(1);
  const std::vector<float> a = test.points.ToVector<float>(), b = train.points.ToVector<float>();
  const std::vector<int32_t> labels = train.labels.ToVector<int32_t>();
  std::vector<int32_t> out;
  for (int64_t q = 0; q < Q; ++q) {
    std::vector<double> distance(N, 0.0);
    for (int64_t j = 0; j < N; ++j)
      for (int64_t d = 0; d < D; ++d) {
        const double diff = double{a[q * D + d]} - b[j * D + d];
        distance[j] += diff * diff;
      }
    std::vector<int64_t> order(N);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t x, int64_t y) { return distance[x] < distance[y]; });
    std::vector<int> votes(classes, 0);
    for (int64_t i = 0; i < k; ++i) ++votes[labels[order[i]]];
    const int most = *std::max_element(votes.begin(), votes.end());
    for (int64_t i = 0; i < k; ++i) {
      if (votes[labels[order[i]]] == most) {
        out.push_back(labels[order[i]]);
        break;
      }
    }
  }
  return out;
}

// Against the brute force on random data, at MNIST's width of 784 and at 20 dimensions, for
// k = 1, 5, 10. Random normal points are far apart against the f32 GEMM's rounding (about 1e-6
// of the squared norms, ~800 here, against gaps between neighbours of order 1), so the two must
// agree exactly.
TEST(KnnProbe, AgreesWithABruteForceDoubleImplementation) {
  for (int64_t dims : {20, 784}) {
    const RandomSet train = MakeRandomSet(400, dims, 10, 21);
    const RandomSet test = MakeRandomSet(150, dims, 10, 22);
    for (int64_t k : {1, 5, 10}) {
      EXPECT_EQ(KnnPredict(train.points, train.labels, test.points, 10, k, 32),
                BruteForce(train, test, 10, k))
          << "dims " << dims << " k " << k;
    }
  }
}

TEST(KnnProbe, BadArgumentsAreErrors) {
  const Tensor train = Points({0, 1, 2}, 1);
  ExpectErrorContaining([&] { KnnPredict(train, Labels({0, 1, 0}), train, 2, 4); },
                        {"k in [1, 3]", "4"});
  ExpectErrorContaining([&] { KnnPredict(train, Labels({0, 2, 0}), train, 2, 1); },
                        {"labels in [0, 2)", "2"});
  ExpectErrorContaining([&] { KnnPredict(train, Labels({0, 1, 0}), Points({0, 1}, 2), 2, 1); },
                        {"(N, D)", "(Q, D)"});
}

}  // namespace
}  // namespace latent

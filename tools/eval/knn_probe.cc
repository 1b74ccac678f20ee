#include "tools/eval/knn_probe.h"

#include <algorithm>
#include <numeric>

#include "core/tensor_math.h"
#include "kernels/error.h"

namespace latent {
namespace {

// ||row||^2 of each row of x (N, D), in double: the f32 GEMM's cross term is the only rounding
// the distances then carry.
std::vector<double> SquaredNorms(const Tensor& x) {
  const int64_t N = x.size(0), D = x.size(1);
  const std::vector<float> values = x.ToVector<float>();
  std::vector<double> norms(N, 0.0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t d = 0; d < D; ++d) norms[i] += double{values[i * D + d]} * values[i * D + d];
  return norms;
}

}  // namespace

std::vector<int32_t> KnnPredict(const Tensor& train, const Tensor& train_labels,
                                const Tensor& queries, int num_classes, int64_t k,
                                int64_t block_rows) {
  LATENT_CHECK(train.ndim() == 2 && queries.ndim() == 2 && train.size(1) == queries.size(1),
               "k-NN: expected train (N, D) and queries (Q, D), found ", train.shape().ToString(),
               " and ", queries.shape().ToString());
  LATENT_CHECK(train.dtype() == DType::kF32 && queries.dtype() == DType::kF32,
               "k-NN: expected f32 features");
  const int64_t N = train.size(0), Q = queries.size(0);
  LATENT_CHECK(train_labels.numel() == N, "k-NN: expected ", N, " training labels, found ",
               train_labels.numel());
  LATENT_CHECK(k >= 1 && k <= N, "k-NN: expected k in [1, ", N, "], found ", k);
  LATENT_CHECK(block_rows >= 1, "k-NN: expected at least one row per block, found ", block_rows);
  const std::vector<int32_t> labels = train_labels.ToVector<int32_t>();
  for (int32_t label : labels) {
    LATENT_CHECK(label >= 0 && label < num_classes, "k-NN: expected labels in [0, ", num_classes,
                 "), found ", label);
  }
  const std::vector<double> train_norms = SquaredNorms(train);
  std::vector<int32_t> predictions(Q);
  std::vector<double> distance(N);
  std::vector<int64_t> order(N);
  std::vector<int64_t> votes(num_classes);
  for (int64_t begin = 0; begin < Q; begin += block_rows) {
    const int64_t end = std::min(Q, begin + block_rows);
    const Tensor block = queries.Rows(begin, end);
    const std::vector<double> query_norms = SquaredNorms(block);
    // cross: (end - begin, N), a.b for every query row a of the block and training row b.
    const std::vector<float> cross = math::Gemm(block, false, train, true).ToVector<float>();
    for (int64_t q = 0; q < end - begin; ++q) {
      for (int64_t j = 0; j < N; ++j)
        distance[j] = query_norms[q] - 2.0 * cross[q * N + j] + train_norms[j];
      std::iota(order.begin(), order.end(), 0);
      // The index breaks ties between equal distances, so the k chosen are well defined.
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
        return distance[a] < distance[b] || (distance[a] == distance[b] && a < b);
      });
      std::fill(votes.begin(), votes.end(), 0);
      for (int64_t i = 0; i < k; ++i) ++votes[labels[order[i]]];
      // The neighbours in order of distance: the first whose class has the most votes wins a tie.
      const int64_t most = *std::max_element(votes.begin(), votes.end());
      for (int64_t i = 0; i < k; ++i) {
        if (votes[labels[order[i]]] == most) {
          predictions[begin + q] = labels[order[i]];
          break;
        }
      }
    }
  }
  return predictions;
}

double KnnAccuracy(const Tensor& train, const Tensor& train_labels, const Tensor& test,
                   const Tensor& test_labels, int num_classes, int64_t k, int64_t block_rows) {
  const std::vector<int32_t> predicted =
      KnnPredict(train, train_labels, test, num_classes, k, block_rows);
  const std::vector<int32_t> truth = test_labels.ToVector<int32_t>();
  LATENT_CHECK(truth.size() == predicted.size(), "k-NN: expected ", predicted.size(),
               " test labels, found ", truth.size());
  if (truth.empty()) return 0.0;
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) correct += predicted[i] == truth[i];
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace latent

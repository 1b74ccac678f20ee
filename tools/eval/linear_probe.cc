#include "tools/eval/linear_probe.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/io/dataset.h"
#include "core/nn.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/parameters.h"
#include "core/tensor_math.h"

namespace latent {
namespace {

using kernels::Activation;
using kernels::BinaryOp;

// Rows per piece when a whole split is transformed or classified: bounds the temporaries (the
// broadcast statistics, the logits) whatever the split's size.
constexpr int64_t kChunkRows = 8192;

// The training statistics, (D) each, on the features' device.
struct Standardizer {
  Tensor mean, inv_std;
};

Standardizer FitStandardizer(const Tensor& x) {
  // x: (N, D). ColumnSum accumulates in double, so the f32 mean is the true mean rounded twice
  // (the sum, then the division): about 1e-7 relative.
  const int64_t N = x.size(0), D = x.size(1);
  Standardizer s;
  s.mean = math::Unary(Activation::kScale, math::ColumnSum(x), 1.0 / static_cast<double>(N));
  // Two passes (center, then square) rather than E[x^2] - E[x]^2, which cancels catastrophically
  // for a feature whose mean is large against its spread.
  Tensor sum_squares = Tensor::Zeros({D}, DType::kF32, x.device());
  for (int64_t begin = 0; begin < N; begin += kChunkRows) {
    const Tensor rows = x.Rows(begin, std::min(N, begin + kChunkRows));
    const Tensor centered =
        math::Binary(BinaryOp::kSub, rows, math::ColumnBroadcast(s.mean, rows.shape()));
    math::AddInPlace(sum_squares, math::ColumnSum(math::Unary(Activation::kSquare, centered)));
  }
  const std::vector<float> mean = s.mean.ToVector<float>();
  const std::vector<float> sums = sum_squares.ToVector<float>();
  std::vector<float> inv_std(D);
  for (int64_t j = 0; j < D; ++j) {
    const double sd = std::sqrt(static_cast<double>(sums[j]) / static_cast<double>(N));
    LATENT_CHECK(std::isfinite(sd), "linear probe: expected finite training features, found a "
                 "non-finite value in column ", j);
    // A constant feature leaves only the rounding of its f32 mean (a unit or two in the last
    // place) after centering: dividing by that spread would blow rounding up to +-1, and an
    // exactly constant feature (sd = 0) to 0/0 = NaN.
    const bool constant = sd <= 1e-6 * std::abs(static_cast<double>(mean[j]));
    inv_std[j] = constant ? 1.0f : static_cast<float>(1.0 / sd);
  }
  s.inv_std = Tensor::FromVector(inv_std, {D}, x.device());
  return s;
}

// (x - mean) / std, row chunk by row chunk: (N, D) -> (N, D) on x's device.
Tensor Standardize(const Standardizer& s, const Tensor& x) {
  const int64_t N = x.size(0);
  Tensor out = Tensor::Empty(x.shape(), DType::kF32, x.device());
  for (int64_t begin = 0; begin < N; begin += kChunkRows) {
    const int64_t end = std::min(N, begin + kChunkRows);
    const Tensor rows = x.Rows(begin, end);
    const Tensor centered =
        math::Binary(BinaryOp::kSub, rows, math::ColumnBroadcast(s.mean, rows.shape()));
    Tensor piece = out.Rows(begin, end);
    piece.CopyFrom(
        math::Binary(BinaryOp::kMul, centered, math::ColumnBroadcast(s.inv_std, rows.shape())));
  }
  return out;
}

// The fraction of rows whose largest logit is at the row's label (the first of equal maxima).
double Accuracy(const LinearLayer& layer, const Tensor& x, const std::vector<int32_t>& labels) {
  NoGradGuard no_grad;
  const int64_t N = x.size(0), C = layer.out();
  int64_t correct = 0;
  for (int64_t begin = 0; begin < N; begin += kChunkRows) {
    const int64_t end = std::min(N, begin + kChunkRows);
    const std::vector<float> logits = layer(x.Rows(begin, end)).ToVector<float>();  // (rows, C)
    for (int64_t r = begin; r < end; ++r) {
      const float* row = logits.data() + (r - begin) * C;
      correct += (std::max_element(row, row + C) - row) == labels[r] ? 1 : 0;
    }
  }
  return static_cast<double>(correct) / static_cast<double>(N);
}

// Checks one split; returns its labels on the host.
std::vector<int32_t> CheckSplit(const char* split, const Tensor& features, const Tensor& labels,
                                int num_classes) {
  LATENT_CHECK(features.defined() && labels.defined(), "linear probe: the ", split,
               " features or labels are undefined");
  LATENT_CHECK(features.ndim() == 2 && features.dtype() == DType::kF32, "linear probe: expected ",
               split, " features of shape (N, D) and dtype f32, found ",
               features.shape().ToString(), " ", DTypeName(features.dtype()));
  LATENT_CHECK(features.size(0) >= 1, "linear probe: the ", split, " split is empty");
  LATENT_CHECK(labels.ndim() == 1 && labels.dtype() == DType::kI32 &&
                   labels.size(0) == features.size(0),
               "linear probe: expected ", split, " labels of shape (", features.size(0),
               ") and dtype i32, found ", labels.shape().ToString(), " ",
               DTypeName(labels.dtype()));
  CheckSameDevice("linear probe", features, labels);
  std::vector<int32_t> host = labels.ToVector<int32_t>();
  for (size_t i = 0; i < host.size(); ++i) {
    LATENT_CHECK(host[i] >= 0 && host[i] < num_classes, "linear probe: expected ", split,
                 " labels in [0, ", num_classes, "), found ", host[i], " at index ", i);
  }
  return host;
}

}  // namespace

ProbeResult LinearProbe(const Tensor& train_features, const Tensor& train_labels,
                        const Tensor& test_features, const Tensor& test_labels, int num_classes,
                        const ProbeOptions& options) {
  LATENT_CHECK(num_classes >= 2, "linear probe: expected at least 2 classes, found ", num_classes);
  LATENT_CHECK(options.epochs >= 1 && options.batch_size >= 1 && options.lr > 0.0 &&
                   options.weight_decay >= 0.0,
               "linear probe: expected epochs >= 1, batch size >= 1, lr > 0, weight decay >= 0, "
               "found ", options.epochs, ", ", options.batch_size, ", ", options.lr, ", ",
               options.weight_decay);
  const std::vector<int32_t> train_y = CheckSplit("training", train_features, train_labels,
                                                  num_classes);
  const std::vector<int32_t> test_y = CheckSplit("test", test_features, test_labels, num_classes);
  CheckSameDevice("linear probe", train_features, test_features);
  const int64_t D = train_features.size(1);
  LATENT_CHECK(test_features.size(1) == D, "linear probe: expected test features with ", D,
               " columns like the training features, found ", test_features.size(1));

  Dataset train;
  Tensor test_x;
  {
    NoGradGuard no_grad;
    const Standardizer s = FitStandardizer(train_features);
    train.images = Standardize(s, train_features);
    test_x = Standardize(s, test_features);
  }
  train.labels = train_labels;
  train.height = 1;
  train.width = D;
  train.num_classes = num_classes;

  Parameters params;
  LinearLayer layer(params, "probe", D, num_classes);
  params.Allocate(train_features.device(), options.seed);
  Adam adam(params, options.lr);
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    BatchSampler batches(train, options.batch_size, /*shuffle=*/true, options.seed, epoch);
    for (int64_t b = 0; b < batches.num_batches(); ++b) {
      Tensor loss = Mean(SoftmaxCrossEntropy(layer(batches.Images(b)), batches.Labels(b)));
      if (options.weight_decay > 0.0)
        loss = Add(loss, Scale(Sum(Square(layer.weight())), 0.5 * options.weight_decay));
      adam.ZeroGrad();
      loss.Backward();
      adam.Step();
    }
  }
  return {Accuracy(layer, train.images, train_y), Accuracy(layer, test_x, test_y)};
}

}  // namespace latent

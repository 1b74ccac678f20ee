#include "tools/eval/analysis.h"

#include <algorithm>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "kernels/error.h"

namespace latent {
namespace {

// Runs fn(begin, end) over consecutive row ranges of at most batch_size rows.
template <typename Fn>
void ForEachBatch(int64_t n, int64_t batch_size, Fn fn) {
  LATENT_CHECK(batch_size > 0, "batch size must be positive; found ", batch_size);
  for (int64_t begin = 0; begin < n; begin += batch_size)
    fn(begin, std::min(n, begin + batch_size));
}

Tensor RowsOrUndefined(const Tensor& t, int64_t begin, int64_t end) {
  return t.defined() ? t.Rows(begin, end) : Tensor();
}

// Stacks same-width row blocks into one (N, D) tensor on the blocks' device.
Tensor StackRows(const std::vector<Tensor>& blocks) {
  LATENT_CHECK(!blocks.empty(), "nothing to stack: the data set is empty");
  int64_t rows = 0;
  for (const Tensor& b : blocks) rows += b.size(0);
  Tensor out = Tensor::Empty({rows, blocks[0].size(1)}, blocks[0].dtype(), blocks[0].device());
  int64_t at = 0;
  for (const Tensor& b : blocks) {
    out.Rows(at, at + b.size(0)).CopyFrom(b);
    at += b.size(0);
  }
  return out;
}

}  // namespace

Tensor EncodeAll(Model& model, const Dataset& data, int64_t batch_size) {
  NoGradGuard no_grad;
  std::vector<Tensor> blocks;
  ForEachBatch(data.size(), batch_size, [&](int64_t begin, int64_t end) {
    blocks.push_back(model.Encode(data.images.Rows(begin, end), data.labels.Rows(begin, end)));
  });
  return StackRows(blocks);
}

Tensor ReconstructAll(Model& model, const Tensor& images, const Tensor& labels,
                      int64_t batch_size) {
  NoGradGuard no_grad;
  std::vector<Tensor> blocks;
  ForEachBatch(images.size(0), batch_size, [&](int64_t begin, int64_t end) {
    blocks.push_back(
        model.Reconstruct(images.Rows(begin, end), RowsOrUndefined(labels, begin, end)));
  });
  return StackRows(blocks);
}

double Mean(const std::vector<double>& values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

std::vector<double> RowSquaredErrors(const Tensor& a, const Tensor& b) {
  LATENT_CHECK(a.shape() == b.shape(), "row squared errors need equal shapes; found ",
               a.shape().ToString(), " and ", b.shape().ToString());
  NoGradGuard no_grad;
  const std::vector<float> rows = RowSum(Square(Sub(a, b))).ToVector<float>();
  return {rows.begin(), rows.end()};
}

std::vector<double> ReconstructionErrors(Model& model, const Dataset& data, int64_t batch_size) {
  return RowSquaredErrors(ReconstructAll(model, data.images, data.labels, batch_size), data.images);
}

Dataset SelectLabel(const Dataset& data, int label) {
  const std::vector<int32_t> labels = data.labels.ToVector<int32_t>();
  std::vector<int32_t> index;
  for (int32_t i = 0; i < static_cast<int32_t>(labels.size()); ++i)
    if (labels[i] == label) index.push_back(i);
  LATENT_CHECK(!index.empty(), "no example has label ", label, " (", data.size(),
               " examples, labels 0..", data.num_classes - 1, ")");
  NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(index.size());
  const Device device = data.images.device();
  Dataset subset = data;
  subset.images = GatherRows(data.images, Tensor::FromVector<int32_t>(index, {n}).To(device));
  subset.labels = Tensor::FromVector<int32_t>(std::vector<int32_t>(n, label), {n}).To(device);
  return subset;
}

Tensor CorruptAll(const Dataset& data, kernels::Corruption kind, double level, uint64_t seed) {
  // Counters from 2^40 in the evaluation stream: clear of the draws that count from 0 there.
  return Corrupt(data.images, kind, level, seed, StreamOffset(Stream::kEval, uint64_t{1} << 40));
}

}  // namespace latent

#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/autograd.h"
#include "core/optim.h"
#include "core/random.h"
#include "core/tensor_math.h"

namespace latent {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Running sums of a loss and its parts, kept on the device: adding a scalar there costs one tiny
// kernel, reading it back costs a synchronization, so reads happen only when a number is shown.
class LossTotals {
 public:
  void Add(const LossOutput& out) {
    Accumulate("loss", out.loss);
    for (const auto& [name, value] : out.parts) Accumulate(name, value);
  }
  Evaluation PerExample(int64_t count) const {
    Evaluation e;
    for (const auto& [name, total] : totals_) {
      const double v = total.item() / static_cast<double>(count);
      if (name == "loss") {
        e.loss = v;
      } else {
        e.parts[name] = v;
      }
    }
    return e;
  }

 private:
  void Accumulate(const std::string& name, const Tensor& value) {
    auto it = totals_.find(name);
    if (it == totals_.end()) {
      totals_.emplace(name, value.Clone());
    } else {
      math::AddInPlace(it->second, value);
    }
  }
  std::map<std::string, Tensor> totals_;
};

Tensor MaybeBinarize(const Tensor& x, bool binarize, uint64_t seed, uint64_t index) {
  return binarize ? Bernoulli(x, seed, StreamOffset(Stream::kBinarize, index)) : x;
}

}  // namespace

Evaluation Evaluate(Model& model, const Dataset& data, int64_t batch_size, uint64_t seed,
                    bool binarize) {
  NoGradGuard no_grad;
  BatchSampler batches(data, batch_size, /*shuffle=*/false, seed, 0);
  LossTotals totals;
  for (int64_t b = 0; b < batches.num_batches(); ++b) {
    // The test binarization is fixed by the seed (index past any training draw), so evaluations
    // of one run are comparable across epochs.
    const Tensor x = MaybeBinarize(batches.Images(b), binarize, seed ^ 0x5eed, b);
    totals.Add(model.Loss(x, batches.Labels(b), {seed, static_cast<uint64_t>(b), false}));
  }
  return totals.PerExample(data.size());
}

std::vector<EpochMetrics> Train(Model& model, const Dataset& train, const Dataset& test,
                                const TrainOptions& options,
                                const std::function<void(const EpochMetrics&)>& on_epoch) {
  Adam adam(model.params(), options.lr);
  std::vector<EpochMetrics> history;
  uint64_t step = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = Clock::now();
    BatchSampler batches(train, options.batch_size, /*shuffle=*/true, options.seed, epoch);
    LossTotals totals;
    auto last_report = start;
    for (int64_t b = 0; b < batches.num_batches(); ++b, ++step) {
      const Tensor x = MaybeBinarize(batches.Images(b), options.binarize, options.seed, step);
      adam.ZeroGrad();
      LossOutput out = model.Loss(x, batches.Labels(b), {options.seed, step, true});
      out.loss.Backward();
      adam.Step();
      totals.Add(out);
      if (options.progress && Seconds(last_report) > 0.5) {
        last_report = Clock::now();
        const double done = static_cast<double>(b + 1);
        std::fprintf(stderr, "\repoch %d  step %lld/%lld  %.1f steps/s   ", epoch,
                     static_cast<long long>(b + 1), static_cast<long long>(batches.num_batches()),
                     done / Seconds(start));
        std::fflush(stderr);
      }
    }
    EpochMetrics m;
    m.epoch = epoch;
    m.train = totals.PerExample(train.size());  // synchronizes: the epoch's work is done
    m.seconds = Seconds(start);
    if (options.progress) std::fprintf(stderr, "\r%60s\r", "");
    LATENT_CHECK(std::isfinite(m.train.loss), "training diverged: the mean training loss of epoch ",
                 epoch, " is ", m.train.loss, " (steps ", step - batches.num_batches() + 1, "..",
                 step, "); try a smaller --lr. The checkpoint of the last finite epoch is kept.");
    m.test = Evaluate(model, test, options.batch_size, options.seed, options.binarize);
    history.push_back(m);
    on_epoch(m);
  }
  return history;
}

}  // namespace latent

#include "models/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/autograd.h"
#include "core/grad_clip.h"
#include "core/profiler.h"
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

// Opens and closes the CUDA profiler's capture range around TrainOptions' profiled steps.
class ProfiledSteps {
 public:
  ProfiledSteps(const TrainOptions& options, Device device)
      : begin_(static_cast<uint64_t>(options.profile_begin)),
        end_(static_cast<uint64_t>(options.profile_end)),
        on_(device.is_cuda() && options.profile_begin >= 0 &&
            options.profile_end > options.profile_begin) {}
  void BeforeStep(uint64_t step) {
    if (!on_ || step != begin_) return;
    ProfilerStart();
    open_ = true;
    std::fprintf(stderr, "profiler: capture range opened before step %llu\n",
                 static_cast<unsigned long long>(step));
  }
  void AfterStep(uint64_t step) {
    if (open_ && step + 1 == end_) Close(step);
  }
  // After the last step (`steps` run in all): closes a range that the run ended inside of.
  void Finish(uint64_t steps) {
    if (open_) {
      std::fprintf(stderr, "profiler: training ended inside the capture range (steps %llu..%llu "
                   "asked for)\n", static_cast<unsigned long long>(begin_),
                   static_cast<unsigned long long>(end_ - 1));
      Close(steps - 1);
    } else if (on_ && steps <= begin_) {
      std::fprintf(stderr, "profiler: nothing captured: --profile-steps starts at step %llu but "
                   "the run had only %llu steps\n", static_cast<unsigned long long>(begin_),
                   static_cast<unsigned long long>(steps));
    }
  }

 private:
  void Close(uint64_t last_step) {
    ProfilerStop();
    open_ = false;
    std::fprintf(stderr, "profiler: capture range closed after step %llu\n",
                 static_cast<unsigned long long>(last_step));
  }
  uint64_t begin_, end_;
  bool on_;
  bool open_ = false;
};

Tensor MaybeBinarize(const Tensor& x, bool binarize, uint64_t seed, uint64_t index) {
  return binarize ? Bernoulli(x, seed, StreamOffset(Stream::kBinarize, index)) : x;
}

}  // namespace

void RecordValidation(TrainState& state, int epoch, double val_loss) {
  if (val_loss < state.best_val_loss) {
    state.best_epoch = epoch;
    state.best_val_loss = val_loss;
    state.epochs_since_best = 0;
  } else {
    ++state.epochs_since_best;
  }
}

bool ShouldStopEarly(const TrainState& state, int patience) {
  return patience > 0 && state.epochs_since_best >= patience;
}

Evaluation Evaluate(Model& model, const Dataset& data, int64_t batch_size, uint64_t seed) {
  NoGradGuard no_grad;
  BatchSampler batches(data, batch_size, /*shuffle=*/false, seed, 0);
  LossTotals totals;
  for (int64_t b = 0; b < batches.num_batches(); ++b) {
    totals.Add(
        model.Loss(batches.Images(b), batches.Labels(b), {seed, static_cast<uint64_t>(b), false}));
  }
  return totals.PerExample(data.size());
}

Trainer::Trainer(Model& model, const TrainOptions& options)
    : model_(model),
      options_(options),
      adam_(model.params(), options.lr, 0.9, 0.999, 1e-8, options.weight_decay) {}

void Trainer::Run(const Dataset& train, const Dataset& test,
                  const std::function<void()>& on_epoch, const Dataset& val) {
  // Drawn once: every epoch's test loss is of the same images, so epochs compare.
  const Dataset scored_test = options_.binarize ? BinarizeTestSet(test, options_.seed) : test;
  const bool validate = val.size() > 0;
  const Dataset scored_val =
      validate && options_.binarize ? BinarizeValidationSet(val, options_.seed) : val;
  ProfiledSteps profiled(options_, train.images.device());
  uint64_t step = state_.step;
  for (int epoch = state_.epoch + 1; epoch <= options_.epochs; ++epoch) {
    if (validate && ShouldStopEarly(state_, options_.patience)) break;
    const auto start = Clock::now();
    BatchSampler batches(train, options_.batch_size, /*shuffle=*/true, options_.seed, epoch);
    // Every epoch has the same number of batches; a resumed run with a new --epochs total takes
    // its remaining rates from the schedule stretched to that total.
    const uint64_t total_steps =
        static_cast<uint64_t>(options_.epochs) * static_cast<uint64_t>(batches.num_batches());
    LossTotals totals;
    auto last_report = start;
    for (int64_t b = 0; b < batches.num_batches(); ++b, ++step) {
      profiled.BeforeStep(step);
      Tensor x;
      {
        NvtxRange range("data");
        x = MaybeBinarize(batches.Images(b), options_.binarize, options_.seed, step);
      }
      LossOutput out;
      {
        NvtxRange range("forward");
        out = model_.Loss(x, batches.Labels(b), {options_.seed, step, true});
        totals.Add(out);  // the metric sums are a by-product of the forward pass
      }
      {
        // Zeroing the gradients here rather than before the forward pass changes nothing (the
        // forward pass never reads them) and keeps the four phases contiguous.
        NvtxRange range("backward");
        adam_.ZeroGrad();
        out.loss.Backward();
      }
      {
        NvtxRange range("optimizer");
        if (options_.clip_norm > 0.0) ClipGradNorm(model_.params(), options_.clip_norm);
        // From the step's number, never accumulated: a resumed run takes the same rates.
        adam_.set_lr(options_.lr_schedule.LrAt(options_.lr, step, total_steps));
        adam_.Step();
      }
      profiled.AfterStep(step);
      if (options_.progress && Seconds(last_report) > 0.5) {
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
    if (options_.progress) std::fprintf(stderr, "\r%60s\r", "");
    LATENT_CHECK(std::isfinite(m.train.loss), "training diverged: the mean training loss of epoch ",
                 epoch, " is ", m.train.loss, " (steps ", step - batches.num_batches() + 1, "..",
                 step, "); try a smaller --lr");
    m.test = Evaluate(model_, scored_test, options_.batch_size, options_.seed);
    if (validate) {
      m.val = Evaluate(model_, scored_val, options_.batch_size, options_.seed);
      RecordValidation(state_, epoch, m.val->loss);
    }
    state_.epoch = epoch;
    state_.step = step;
    state_.history.push_back(m);
    on_epoch();
  }
  profiled.Finish(step);
}

std::vector<EpochMetrics> Train(Model& model, const Dataset& train, const Dataset& test,
                                const TrainOptions& options,
                                const std::function<void(const EpochMetrics&)>& on_epoch) {
  Trainer trainer(model, options);
  trainer.Run(train, test, [&] { on_epoch(trainer.state().history.back()); });
  return trainer.state().history;
}

}  // namespace latent

// The training loop shared by every model: minibatches gathered on the device, forward, backward,
// one optimizer step; per-epoch evaluation on the test split.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "core/optim.h"
#include "models/model.h"
#include "models/train/lr_schedule.h"

namespace latent {

struct TrainOptions {
  int epochs = 10;
  int64_t batch_size = 128;
  double lr = 1e-3;
  // The training recipe; the defaults (a constant rate, no decay, no clipping) are plain Adam.
  LrSchedule lr_schedule;    // the rate of each step, from lr (lr_schedule.h)
  double weight_decay = 0.0;  // AdamW's decoupled decay (kernels/optim.h); 0: Adam
  double clip_norm = 0.0;     // clip the gradient's global L2 norm to this before each step; 0: off
  uint64_t seed = 1;
  bool binarize = false;  // dynamic binarization: a fresh Bernoulli draw of every pixel each epoch
  // Only the first N images of each split (0: all). The trainer takes the data sets as given;
  // these are recorded in config.json so that a resumed run loads the same images.
  int64_t train_limit = 0, test_limit = 0;
  // The last val_size images of the training split are held out as the validation set
  // (LoadTrainValSplit); 0: none, every image trains. Recorded in config.json, so that a resumed
  // run holds out the same images.
  int64_t val_size = 0;
  // Early stopping: training ends once `patience` epochs in a row bring no new lowest validation
  // loss. 0: off (every epoch runs). Needs a validation set.
  int patience = 0;
  bool progress = false;  // a progress line with steps/s on stderr (for terminals)
  // The CUDA profiler's capture range, in global steps counted from 0 across epochs: it opens
  // (cudaProfilerStart) before step profile_begin and closes (cudaProfilerStop) after step
  // profile_end - 1, so steps profile_begin .. profile_end - 1 are captured (end exclusive). A
  // range that crosses an epoch's end also captures that epoch's evaluation. Off when begin ==
  // end; ignored unless the model trains on a CUDA device. See docs/profiling.md.
  int64_t profile_begin = 0;
  int64_t profile_end = 0;
};

// Losses per image: each part summed over the split and divided by its size.
struct Evaluation {
  double loss = 0.0;
  std::map<std::string, double> parts;
};

struct EpochMetrics {
  int epoch = 0;  // 1-based
  Evaluation train, test;
  std::optional<Evaluation> val;  // present when the run holds out a validation set
  double seconds = 0.0;  // training time of the epoch (evaluation excluded)
};

// Evaluates `model` on every example of `data` as it is (no graph recorded), in batches; `seed`
// fixes the model's own draws (a VAE's noise). A binarized run is evaluated on
// BinarizeTestSet(test, seed) (core/io/dataset.h).
Evaluation Evaluate(Model& model, const Dataset& data, int64_t batch_size, uint64_t seed);

// Where training stands after a completed epoch: besides the parameters and Adam's state, all that
// a run needs to continue exactly (a checkpoint holds it, run_dir.h). Every random draw of
// training is a pure function of the seed and a counter (kernels/philox.h): the shuffle of epoch
// e is keyed by e, and the per-step draws (binarization, a VAE's noise, a denoiser's corruption)
// and the KL weight schedule by the global step. So the epoch and the step are the whole of the
// RNG and schedule state, and the next minibatch is batch 0 of epoch `epoch + 1`.
struct TrainState {
  int epoch = 0;                      // epochs completed
  uint64_t step = 0;                  // optimizer steps completed, across epochs
  std::vector<EpochMetrics> history;  // one entry per completed epoch
  // The epoch of the lowest validation loss so far (the first of equals) and that loss; 0 and
  // infinity before any epoch is validated. epochs_since_best counts the epochs completed after it,
  // the count early stopping compares with its patience.
  int best_epoch = 0;
  double best_val_loss = std::numeric_limits<double>::infinity();
  int epochs_since_best = 0;
};

// Records epoch `epoch`'s validation loss in `state`: a loss strictly lower than the best so far
// (a NaN never is) makes it the best epoch, else one more epoch passes since the best.
void RecordValidation(TrainState& state, int epoch, double val_loss);

// The stopping rule: with `patience` > 0, whether the last `patience` validated epochs brought
// no new best. Checked before each epoch, so a resumed run that had stopped stays stopped.
bool ShouldStopEarly(const TrainState& state, int patience);

// Trains a model with Adam, one epoch after another, from a state that a checkpoint can restore.
// Each step: forward, backward, gradient clipping (options.clip_norm), the scheduled rate of the
// global step set on Adam, then Adam's (or AdamW's) update.
class Trainer {
 public:
  Trainer(Model& model, const TrainOptions& options);
  Model& model() { return model_; }
  Adam& adam() { return adam_; }
  TrainState& state() { return state_; }
  const TrainOptions& options() const { return options_; }

  // Trains epochs state().epoch + 1 .. options().epochs, calling `on_epoch` after each with the
  // state updated. With options.binarize, each training batch is a fresh Bernoulli draw and the
  // test loss is measured on BinarizeTestSet(test, options.seed), the images `latent eval` scores
  // too. Throws latent::Error if the loss stops being finite, naming the epoch and steps; the
  // state is then that of the last completed epoch. Each step's phases sit in NVTX ranges named
  // "data", "forward", "backward" and "optimizer" (docs/profiling.md).
  // A non-empty `val` is evaluated after each epoch as the test set is (binarized once, from its
  // own stream, with options.binarize); its loss picks the state's best epoch, and with
  // options.patience > 0 training stops early (ShouldStopEarly) before reaching options.epochs.
  void Run(const Dataset& train, const Dataset& test, const std::function<void()>& on_epoch,
           const Dataset& val = Dataset());

 private:
  Model& model_;
  TrainOptions options_;
  Adam adam_;
  TrainState state_;
};

// A whole run from the start, calling `on_epoch` after each epoch: the history of Trainer::Run.
std::vector<EpochMetrics> Train(Model& model, const Dataset& train, const Dataset& test,
                                const TrainOptions& options,
                                const std::function<void(const EpochMetrics&)>& on_epoch);

}  // namespace latent

#include "tools/cli/train_flags.h"

#include <cstdint>
#include <string>

#include "kernels/error.h"
#include "tools/cli/common.h"

namespace latent {

std::vector<FlagSpec> TrainFlags() {
  std::vector<FlagSpec> flags = {
      {"model", "vae", "model to train (see `latent models`)"},
      {"data", "data/mnist", "directory of IDX files (train-* and t10k-*, raw or .gz)"},
      {"epochs", "10", "passes over the training set"},
      {"batch-size", "128", "examples per step"},
      {"lr", "1e-3", "Adam learning rate (the schedule's peak)"},
      {"lr-schedule", "constant", "learning rate per step: constant, step (times --lr-gamma every "
                                  "--lr-step-size steps) or cosine (down to --lr-min at the end)"},
      {"lr-warmup-steps", "0", "linear warm-up: step s < N takes lr * (s + 1) / N"},
      {"lr-step-size", "1000", "step schedule: steps between two multiplications by --lr-gamma"},
      {"lr-gamma", "0.1", "step schedule: the factor, in (0, 1]"},
      {"lr-min", "0", "step and cosine schedules: the floor of the rate, in [0, lr]"},
      {"weight-decay", "0", "AdamW's decoupled weight decay (0: Adam)"},
      {"clip-norm", "0", "clip the gradient's global L2 norm to this before each step (0: off)"},
      {"seed", "1", "seed of every random draw (initialization, shuffling, noise)"},
      {"binarize", "false", "dynamic binarization: resample each pixel as Bernoulli(grey level)"},
      {"train-limit", "0", "use only the first N training images (0: all) of those not held "
                            "out by --val-size"},
      {"test-limit", "0", "use only the first N test images (0: all)"},
      {"val-size", "5000", "hold out the last N training images as a validation set, evaluated "
                           "each epoch to pick the best epoch (0: none, train on all)"},
      {"patience", "0", "stop after N epochs in a row without a new lowest validation loss "
                        "(0: run every epoch)"},
      {"out", "", "run directory to write (default: runs/MODEL); an existing run there is "
                  "refused unless --overwrite"},
      {"overwrite", "false", "replace the run already in --out"},
      {"resume", "", "continue the run in this directory from its last completed epoch, with "
                     "its own configuration; --epochs N sets a new total"},
      {"config", "", "a run's config.json: train that run again, into --out; flags given beside "
                     "it override the file's values"},
      {"profile-steps", "", "A:B: put global steps A..B-1 (0-based, end exclusive) in the CUDA "
                            "profiler's capture range, for ncu --profile-from-start off or nsys "
                            "--capture-range=cudaProfilerApi (CUDA devices only)"},
      GemmFlag(),
  };
  for (const FlagSpec& f : DeviceFlags()) flags.push_back(f);
  return flags;
}

void ParseProfileSteps(const std::string& value, TrainOptions& options) {
  const auto fail = [&] {
    LATENT_FAIL("--profile-steps expects A:B, two step numbers with 0 <= A < B (steps A..B-1 are "
                "profiled, counted from 0 across epochs), found '", value, "'");
  };
  const size_t colon = value.find(':');
  if (colon == std::string::npos) fail();
  const auto parse = [&](const std::string& text) {
    const bool digits = text.find_first_not_of("0123456789") == std::string::npos;
    if (text.empty() || text.size() > 18 || !digits) fail();  // 18 digits cannot overflow int64
    return static_cast<int64_t>(std::stoll(text));
  };
  options.profile_begin = parse(value.substr(0, colon));
  options.profile_end = parse(value.substr(colon + 1));
  if (options.profile_begin >= options.profile_end) fail();
}

}  // namespace latent

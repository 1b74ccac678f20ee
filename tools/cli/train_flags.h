// The flags of `latent train` and the training options read from them, apart from the command so
// that the fuzzing harness (tests/fuzz/fuzz_flags.cc) reads them exactly as the command does.
#pragma once

#include <vector>

#include "models/train/trainer.h"
#include "tools/cli/flags.h"

namespace latent {

// The flags of `latent train` without the model's hyperparameters, which the command adds for the
// model it trains.
std::vector<FlagSpec> TrainFlags();

// --epochs, --batch-size, --lr, --seed, --binarize and --profile-steps, range-checked; the other
// fields keep their defaults.
TrainOptions TrainOptionsFromFlags(const Flags& flags);

}  // namespace latent

// The flags of `latent train` and the parser of its --profile-steps, apart from the command so
// that the fuzzing harness of the flags (tests/fuzz/fuzz_flags.cc) parses what the command does.
#pragma once

#include <string>
#include <vector>

#include "models/train/trainer.h"
#include "tools/cli/flags.h"

namespace latent {

// The flags of `latent train` without the model's hyperparameters, which the command adds for the
// model it trains.
std::vector<FlagSpec> TrainFlags();

// Parses --profile-steps "A:B" into options.profile_begin and profile_end, checking 0 <= A < B.
void ParseProfileSteps(const std::string& value, TrainOptions& options);

}  // namespace latent

// `latent train --config RUN/config.json`: a run's recorded configuration (models/train/run_dir.h,
// RunConfig) read back as the flags of `latent train`, so that one command retrains the run and
// any flag given beside --config changes just that setting.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tools/cli/flags.h"

namespace latent {

struct TrainConfigFile {
  std::string path;
  std::string model;
  std::vector<std::pair<std::string, std::string>> flags;  // (flag name, value as text)
};

// Reads and checks the file at `path`: every key must be one that RunConfig writes (a typo is an
// error, not a setting silently ignored), every value in range; a key the file lacks, as files
// written before the option existed do, leaves its flag at the default. "train"'s keys are the
// names of train's flags (`train_flags`) with '_' for '-' ("batch_size" is --batch-size), except
// "warmup_steps", --lr-warmup-steps, so options added to both are picked up without an edit here.
// Errors name the file.
TrainConfigFile ReadTrainConfig(const std::string& path, const std::vector<FlagSpec>& train_flags);

// Sets each of the file's flags that the command line did not set: the command line wins. Throws
// when the command line names another --model, whose hyperparameters the file's would not fit.
void ApplyTrainConfig(const TrainConfigFile& file, Flags& flags);

}  // namespace latent

// metrics.csv, the per-epoch record of a run: one row per completed epoch,
//
//   epoch,train_loss,test_loss,train_<part>,test_<part>,...,seconds
//
// where each loss and part is per image (trainer.h's Evaluation) and seconds is the epoch's
// training time. A run with a validation set has a val column after each test column:
//
//   epoch,train_loss,test_loss,val_loss,train_<part>,test_<part>,val_<part>,...,seconds
//
// and only such a run: without one the file is the first form, as before validation existed.
// Numbers are written with 17 significant digits, enough to read back the exact double, so a run resumed from its checkpoint (run_dir.h) carries its history on unchanged.
#pragma once

#include <string>
#include <vector>

#include "models/train/trainer.h"

namespace latent {

// The whole file for `history` (epochs 1..n in order). No epochs: the empty string. Throws
// latent::Error unless every epoch has a validation evaluation or none does.
std::string MetricsCsv(const std::vector<EpochMetrics>& history);

// Reads what MetricsCsv writes, either form (EpochMetrics::val present in the second). Throws
// latent::Error naming `source`, the line and what was expected when the header is not of the form above, a row has the wrong number of cells or a
// cell that is not a whole number, or the epochs do not run 1, 2, 3, ...
std::vector<EpochMetrics> ParseMetricsCsv(const std::string& text, const std::string& source);

}  // namespace latent

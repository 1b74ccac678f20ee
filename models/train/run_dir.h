// A run directory: what `latent train` writes, what `latent sample` and `latent eval` read, and
// what `latent train --resume` continues.
//
//   DIR/checkpoint -> epoch-0006      the last completed epoch (a symbolic link)
//   DIR/best -> epoch-0004            the epoch of the lowest validation loss (with a validation
//                                     set only)
//   DIR/epoch-0006/
//     config.json                     model, hyperparameters, training options, data
//     model.safetensors               the parameters, by name
//     optimizer.safetensors           Adam's two moments; its metadata holds Adam's step count
//     train_state.json                the epoch, the global step, where the next epoch starts
//     metrics.csv                     one row per completed epoch (metrics.h)
//   DIR/config.json, DIR/metrics.csv -> checkpoint/<the same name>
//   DIR/model.safetensors -> best/model.safetensors, or checkpoint/model.safetensors without best
//   DIR/reconstructions.png, DIR/samples.png   written when training ends
//
// A checkpoint is written whole into a fresh directory and published by replacing the link
// `checkpoint` with one rename(2). A crash at any moment, kill -9 included, leaves `checkpoint`
// on a complete epoch whose files agree with each other (metrics.csv has as many rows as the
// epoch number); directories of other epochs are leftovers that the next checkpoint removes.
// Epoch 0, the initialized model, is published before training starts.
//
// With a validation set (TrainOptions::val_size), `best` names the epoch whose validation loss is
// the lowest so far, moved by the same atomic rename once its epoch is published; that directory
// is kept when later checkpoints remove the others. The readers' model link follows `best`, so
// `latent eval` and `latent sample` score the model that early stopping chose, while `checkpoint`
// stays on the last epoch: `--resume` continues the run where it stopped, not from the best.
#pragma once

#include <memory>
#include <string>

#include "core/io/json.h"
#include "models/model.h"
#include "models/train/trainer.h"

namespace latent {

// config.json for a model built from the hyperparameter `values` (recorded as "model_flags", the
// text of each of the model's hyperparameters).
Json RunConfig(const ModelInfo& info, const HyperParams& values, const ModelShape& shape,
               const TrainOptions& options, const std::string& data_dir);

// The model a config.json describes (not yet allocated), and the data shape it was built for.
// A hyperparameter that config.json lacks (a run older than it) takes its default. Throws
// latent::Error naming the entry when a size or count is out of range.
std::unique_ptr<Model> ModelFromConfig(const Json& config, ModelShape* shape);
// The training options a config.json records (epochs, batch size, lr, seed, binarize, limits,
// validation size and patience; keys absent from older runs take the values those ran with).
TrainOptions TrainOptionsFromConfig(const Json& config);

// Publishes DIR/epoch-<state.epoch> with the trainer's model, Adam state and TrainState, and
// `config`, as the run's checkpoint (see above). DIR must exist.
void SaveCheckpoint(const std::string& dir, const Json& config, Trainer& trainer);

// Loads DIR's checkpoint into `trainer`, whose model is built from the same config.json and
// allocated: parameters, Adam's moments and steps, and the TrainState with its history. Throws
// latent::Error naming the file when a part is missing, malformed, or disagrees with another
// (metrics rows vs the epoch, Adam's steps vs the global step).
void RestoreCheckpoint(const std::string& dir, Trainer& trainer);

// Loads DIR/best/model.safetensors, the parameters of the best epoch of `trainer`'s state, into
// its model, first pointing `best` (and the readers' model link) at that epoch should a crash
// have left it behind. Throws latent::Error naming the file when the run has no best epoch.
void RestoreBestParams(const std::string& dir, Trainer& trainer);

// Publishes epoch 0 of a new run in DIR (which must exist), replacing any run already there: the
// old run stays whole until the new checkpoint link replaces its own, then its other files go
// (the pictures, the leftovers of earlier layouts); a run still at epoch 0 has nothing to keep
// and is removed first. Files that are not a run's are left alone.
void StartRun(const std::string& dir, const Json& config, Trainer& trainer);

// Whether DIR holds a checkpoint or any of the files a run writes.
bool HoldsRun(const std::string& dir);

struct LoadedRun {
  std::unique_ptr<Model> model;
  Json config;
  ModelShape shape;
  TrainOptions options;  // as recorded; profiling and progress fields keep their defaults
};
// Rebuilds the model described by DIR/config.json on `device` and loads its parameters.
LoadedRun LoadRun(const std::string& dir, Device device);

}  // namespace latent

// A run directory, what `latent train` leaves behind and what `latent sample` and `latent eval`
// read: model.safetensors (the parameters, by name), config.json (model, its hyperparameters, the
// training options and the data shape), metrics.csv (one row per epoch) and PNG images.
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

// Writes DIR/model.safetensors and DIR/config.json, each atomically.
void SaveRun(const std::string& dir, Model& model, const Json& config);

// The model a config.json describes (not yet allocated), and the data shape it was built for.
// A hyperparameter that config.json lacks (a run older than it) takes its default.
std::unique_ptr<Model> ModelFromConfig(const Json& config, ModelShape* shape);
// The training options a config.json records (epochs, batch size, lr, seed, binarize).
TrainOptions TrainOptionsFromConfig(const Json& config);

struct LoadedRun {
  std::unique_ptr<Model> model;
  Json config;
  ModelShape shape;
  TrainOptions options;  // as recorded; profiling and progress fields keep their defaults
};
// Rebuilds the model described by DIR/config.json on `device` and loads its parameters.
LoadedRun LoadRun(const std::string& dir, Device device);

// Appends one epoch to DIR/metrics.csv, writing the header first when `epoch.epoch` is 1.
void AppendMetrics(const std::string& dir, const EpochMetrics& epoch);

}  // namespace latent

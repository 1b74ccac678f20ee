// Greedy layer-wise pre-training: before a model trains end to end, each of its stages
// (Model::pretrain_stages, deep-ae's layers from the input inwards) trains alone for
// Model::pretrain_epochs epochs, in order, each on what the stages before it learned.
//
// Each stage gets a fresh Adam at the run's --lr (no schedule, no weight decay): its loss records
// a graph through that stage's parameters only, so the others keep zero gradients and zero
// moments, and an Adam step leaves them exactly as they were. Batches of --batch-size come in
// the order of the stream (seed, Stream::kPretrain) at counter stage * 2^24 + epoch, so that no
// stage or epoch repeats another's order or a training epoch's. `latent train` runs it before it
// publishes epoch 0, so a run's epoch-0 checkpoint holds the pre-trained weights and --resume
// never repeats it.
#pragma once

#include <functional>

#include "core/io/dataset.h"
#include "models/model.h"
#include "models/train/trainer.h"

namespace latent {

// One epoch of one stage: its mean loss per image over the epoch's batches.
struct PretrainEpoch {
  int stage = 0;  // 0-based
  int epoch = 0;  // 1-based, within the stage
  double loss = 0.0;
};

// Pre-trains `model` (allocated) on `train` with options.lr, options.batch_size and options.seed,
// calling `on_epoch` after every epoch of every stage. Does nothing for a model with no stages or
// no pre-training epochs. Throws latent::Error if a stage's loss stops being finite.
void Pretrain(Model& model, const Dataset& train, const TrainOptions& options,
              const std::function<void(const PretrainEpoch&)>& on_epoch);

}  // namespace latent

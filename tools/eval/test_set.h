// The first measure of a report: the training objective on the test set, and the squared
// reconstruction error per test image (the number Hinton & Salakhutdinov compare with PCA).
#pragma once

#include <cstdint>

#include "core/io/dataset.h"
#include "models/model.h"
#include "models/train/trainer.h"

namespace latent {

struct TestSetResult {
  Evaluation loss;             // per image, with its parts (for VAEs the ELBO's recon and KL)
  double squared_error = 0.0;  // per image, summed over pixels
};

// The loss on `scored`, the images the objective is measured on: `test` itself, or for a run
// trained with dynamic binarization BinarizeTestSet(test, the run's seed), whose loss is then the
// one training reported for the same batch size and seed. The squared error compares the grey
// levels of `test` with their reconstructions, as the reconstruction is a grey-level image
// whatever the model was trained on. `seed` fixes the model's draws (a VAE's noise).
TestSetResult MeasureTestSet(Model& model, const Dataset& test, const Dataset& scored,
                             int64_t batch_size, uint64_t seed);

}  // namespace latent

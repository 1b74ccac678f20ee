// Denoising: test images corrupted by each noise of denoising autoencoders (Vincent et al. 2008),
// reconstructed by the model, both scored by PSNR against the clean images.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "models/model.h"

namespace latent {

// The level of each corruption (kernels/corrupt.h).
struct NoiseLevels {
  double gaussian = 0.5;         // sigma of additive Gaussian noise
  double masking = 0.5;          // fraction of pixels set to 0
  double salt_and_pepper = 0.2;  // fraction of pixels set to 0 or 1
};

struct DenoisingResult {
  std::string noise;  // "gaussian", "masking" or "salt-and-pepper"
  double level = 0.0;
  double psnr_noisy = 0.0;   // dB: the corrupted images against the clean ones
  double psnr_output = 0.0;  // dB: the reconstructions of the corrupted images against the clean
  // The first images of each (at most `examples`), on the data's device, for a figure.
  Tensor noisy_examples, output_examples;
};

// One result per noise, in the order of NoiseLevels, over every test image; the corruption is
// drawn from `seed` (CorruptAll), and the reconstruction runs batch_size images at a time.
std::vector<DenoisingResult> MeasureDenoising(Model& model, const Dataset& test,
                                              const NoiseLevels& levels, uint64_t seed,
                                              int64_t batch_size, int64_t examples = 10);

}  // namespace latent

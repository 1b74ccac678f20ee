// The linear baseline of dimensionality reduction: PCA with as many components as the
// autoencoder's code, fitted on the training images, scored by the same squared error per test
// image (Hinton & Salakhutdinov 2006 set a 30-d code against PCA-30).
#pragma once

#include <cstdint>

#include "core/io/dataset.h"
#include "core/tensor.h"

namespace latent {

struct PcaBaseline {
  int64_t components = 0;
  double squared_error = 0.0;  // per test image, summed over pixels
  // The PCA codes of both splits, (N, components) f32 on the data's device, for the probes.
  Tensor train_codes, test_codes;
};

// PCA with k components (1 <= k <= H*W) fitted on train's images (tools/eval/pca.h), applied to
// test's; the arithmetic runs on the host.
PcaBaseline MeasurePcaBaseline(const Dataset& train, const Dataset& test, int64_t k);

}  // namespace latent

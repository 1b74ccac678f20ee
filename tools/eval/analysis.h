// What `latent eval` measures on a trained model, as plain functions over a model and a data set:
// codes, reconstructions and their errors, one-class subsets, corruption and PSNR. All run in
// batches on the data's device without recording a graph; results come back to the host.
#pragma once

#include <cstdint>
#include <vector>

#include "core/io/dataset.h"
#include "kernels/corrupt.h"
#include "models/model.h"

namespace latent {

// The codes of every example: (N, code size) f32, on the data's device.
Tensor EncodeAll(Model& model, const Dataset& data, int64_t batch_size = 500);

// Per image, the squared error between the image and its reconstruction, summed over pixels
// (Hinton & Salakhutdinov's measure; its mean is the "squared error per test image").
std::vector<double> ReconstructionErrors(Model& model, const Dataset& data,
                                         int64_t batch_size = 500);

// The arithmetic mean, summed in order (0 for no values): every per-image average of a report.
double Mean(const std::vector<double>& values);

// Per image, sum over pixels of (a - b)^2 for two (N, D) tensors on one device.
std::vector<double> RowSquaredErrors(const Tensor& a, const Tensor& b);

// The examples whose label is `label` (a copy on the data's device). Throws when there are none.
Dataset SelectLabel(const Dataset& data, int label);

// Every image of `data` corrupted by `kind` at `level` (kernels/corrupt.h), drawn from the seed's
// evaluation stream so a report is reproducible.
Tensor CorruptAll(const Dataset& data, kernels::Corruption kind, double level, uint64_t seed);

// Reconstructions of the rows of `images` (N, D), batched: (N, D) on the images' device.
Tensor ReconstructAll(Model& model, const Tensor& images, const Tensor& labels,
                      int64_t batch_size = 500);

}  // namespace latent

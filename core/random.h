// Tensors of random numbers from the Philox stream (seed, offset) (kernels/philox.h): the same seed
// and offset give the same numbers on every device.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "kernels/corrupt.h"

namespace latent {

// What a Philox stream is used for. Offsets carry it in their top 16 bits, so two uses of one seed
// (initialization, shuffling, the VAE's noise, ...) never draw the same numbers. kBinarize draws
// the training batches' binarization, kTestBinarize the test set's and kValBinarize the validation
// set's (core/io/dataset.h): a validation set never shares the test set's draws.
// kPretrain orders the batches of layer-wise pre-training (models/train/pretrain.h).
enum class Stream : uint64_t {
  kInit = 1,
  kShuffle,
  kNoise,
  kBinarize,
  kSample,
  kCorrupt,
  kDropout,
  kEval,
  kImportance,
  kTestBinarize,
  kValBinarize,
  kPretrain
};
inline uint64_t StreamOffset(Stream stream, uint64_t index) {
  return (static_cast<uint64_t>(stream) << 48) | (index & ((uint64_t{1} << 48) - 1));
}

Tensor RandomUniform(const Shape& shape, uint64_t seed, uint64_t offset,
                     DType dtype = DType::kF32, Device device = Device::Cpu());
Tensor RandomNormal(const Shape& shape, uint64_t seed, uint64_t offset,
                    DType dtype = DType::kF32, Device device = Device::Cpu());
// 1 where u < p, else 0, elementwise (dynamic binarization of grey levels p in [0, 1]).
Tensor Bernoulli(const Tensor& p, uint64_t seed, uint64_t offset);
// Corrupted copy of x for denoising autoencoders (kernels/corrupt.h: kGaussian with sigma =
// level, kMask and kSaltPepper with the fraction nu = level).
Tensor Corrupt(const Tensor& x, kernels::Corruption kind, double level, uint64_t seed,
               uint64_t offset);
// A uniformly random permutation of 0..n-1 (Fisher-Yates driven by Philox words).
std::vector<int32_t> Permutation(int64_t n, uint64_t seed, uint64_t offset);

}  // namespace latent

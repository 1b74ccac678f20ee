// A linear probe: multinomial logistic regression (a softmax classifier) trained on fixed
// features, to measure how much class information a representation holds in linearly readable
// form (autoencoder codes against raw pixels and PCA codes).
//
//   p(y = c | x) = softmax(W z + b)_c,   z = (x - mean) / std   (per feature, training statistics)
//   loss = mean over a batch of -log p(y | x)  +  weight_decay / 2 * |W|^2
// minimized with Adam on shuffled minibatches, using latent's own ops and autograd.
//
// With the default options, MNIST's raw pixels reach 92.75% test accuracy (93.88% on the training
// set) in 3.6 s on one CPU core, in line with the ~92.5% of the classic logistic-regression
// reference.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace latent {

struct ProbeOptions {
  int epochs = 20;
  int64_t batch_size = 128;
  double lr = 1e-3;
  double weight_decay = 0.0;  // L2 penalty on W (not b); 0 turns it off
  uint64_t seed = 1;          // initial weights and the shuffling
};

struct ProbeResult {
  double train_accuracy = 0.0;  // fractions in [0, 1], after the last epoch
  double test_accuracy = 0.0;
};

// features: (N, D) f32; labels: (N) i32 in [0, num_classes); all four tensors on one device,
// which is where the training runs.
//
// Each feature is standardized with the mean and standard deviation of the training features,
// applied to both splits. Representations differ in scale by orders of magnitude (pixels in
// [0, 1], PCA codes whose variances fall by 100x from the first component to the 30th,
// unbounded autoencoder codes), and Adam with one learning rate and one epoch budget converges
// alike only when the inputs are on one scale; the test split is standardized with the training
// statistics so that nothing about it leaks into the classifier. A feature constant on the
// training set (MNIST's border pixels) is only centered.
ProbeResult LinearProbe(const Tensor& train_features, const Tensor& train_labels,
                        const Tensor& test_features, const Tensor& test_labels, int num_classes,
                        const ProbeOptions& options = {});

}  // namespace latent

// A k-nearest-neighbour probe: classifies each test point by a majority vote of the labels of its
// k nearest training points (Euclidean distance), measuring how much class information a
// representation holds in its geometry, with no training and no assumption of linearity; the
// linear probe (tools/eval/linear_probe.h) is its companion.
//
// The squared distances come from the expansion
//
//   ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2,
//
// whose middle term for a block of test rows against every training row is one GEMM on the
// features' device (math::Gemm), so the work is the framework's SGEMM; a block of test rows at a
// time bounds the distance matrix's memory (block_rows x N floats). The norms are summed in double
// on the host. For MNIST's pixels that is 60000 x 10000 x 784 x 2 = 0.94 GFLOP.
//
// Rules, so that results are reproducible: among equal distances the lower training index is the
// nearer; a vote tied between classes goes to the tied class whose member ranks nearest (so k = 2
// with two classes is 1-NN, and the outcome never depends on how labels are numbered).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace latent {

constexpr int64_t kKnnBlockRows = 256;  // test rows per GEMM: 256 x 60000 floats is 61 MB

// The predicted label of each query row. train: (N, D) f32, train_labels: (N) i32 in
// [0, num_classes), queries: (Q, D) f32, on one device; 1 <= k <= N.
std::vector<int32_t> KnnPredict(const Tensor& train, const Tensor& train_labels,
                                const Tensor& queries, int num_classes, int64_t k,
                                int64_t block_rows = kKnnBlockRows);

// The fraction in [0, 1] of test rows whose prediction is their label.
double KnnAccuracy(const Tensor& train, const Tensor& train_labels, const Tensor& test,
                   const Tensor& test_labels, int num_classes, int64_t k,
                   int64_t block_rows = kKnnBlockRows);

}  // namespace latent

// The pictures `latent eval` writes: figures of digit tiles with a title and row labels
// (reconstructions, samples, latent walks, the 2-D manifold, filters, denoising), and charts
// (codes coloured by digit, loss curves, ROC curves). Each is a PNG a person reads at a glance.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/io/dataset.h"
#include "models/model.h"
#include "tools/eval/one_class.h"
#include "tools/eval/report.h"

namespace latent {

// One row of a figure: a label drawn at its left, and images (n, H*W) in [0, 1] on any device.
struct TileRow {
  std::string label;
  Tensor images;
};

// A title above rows of tiles, each image drawn as scale x scale pixels per pixel; rows may hold
// different numbers of tiles. Throws latent::Error when an image's size is not height x width.
void WriteDigitFigure(const std::string& path, const std::string& title,
                      const std::vector<TileRow>& rows, const ModelShape& shape, int scale = 2);

// Rows of `cols` test images, each above its reconstruction, `pairs` such pairs.
void WriteReconstructionPairs(const std::string& path, Model& model, const Dataset& test,
                              const ModelShape& shape, int64_t cols, int64_t pairs);
// n draws from the model's prior decoded, 10 to a row.
void WritePriorSamples(const std::string& path, Model& model, const ModelShape& shape, int64_t n,
                       uint64_t seed);
// Walks between the codes of pairs of test images of different digits (the first 0 and 6, 1 and
// 7, 3 and 8, 4 and 9, 2 and 5 found): each row starts with the first image, decodes `steps`
// codes from one code to the other, and ends with the second image. Linear rows, and with
// `spherical` a slerp row under each (for VAEs, whose prior favours codes of typical norm).
// Conditional models decode every code with the first image's label.
void WriteInterpolations(const std::string& path, Model& model, const Dataset& test,
                         const ModelShape& shape, int64_t steps, bool spherical);
// A model with a 2-D code: the n x n grid of codes Phi^-1 of evenly spaced quantiles
// (tools/eval/latent_walk.h) decoded, z1 growing to the right and z2 upwards.
void WriteManifold(const std::string& path, Model& model, const ModelShape& shape, int64_t n);
// Codes (N, D) as points coloured by label (i32 (N)): the codes themselves when D = 2, else
// their projection on the first two principal components.
void WriteCodeScatter(const std::string& path, const Tensor& codes, const Tensor& labels);
// The first layer's filters as images, each scaled to its own range: the rows of the first
// weight matrix that reads the pixels (its first H*W columns), or the kernels of a first
// convolution with one input channel; at most max_filters. Returns false, writing nothing, when
// the model has no such layer.
bool WriteFilters(const std::string& path, Model& model, const ModelShape& shape,
                  int64_t max_filters);
// The train and test loss per epoch of a run's metrics.csv, and the validation loss when it has
// one. Throws latent::Error naming the file
// when it lacks the epoch, train_loss or test_loss columns or a row is malformed.
void WriteLossCurves(const std::string& path, const std::string& metrics_csv);
// One ROC curve per normal digit, with the chance diagonal.
void WriteRocCurves(const std::string& path, const std::vector<OneClassResult>& results);

// The figures of `latent eval`'s report (tools/eval/report.h), each written into the directory
// `dir` and returned as the file name and caption the report shows it with.
//
// The first test images, each noise's corruption of them and their reconstructions.
Picture WriteDenoisingPicture(const std::string& dir, const Dataset& test,
                              const std::vector<DenoisingResult>& denoising,
                              const ModelShape& shape);
// The ROC curves of one-class anomaly detection.
Picture WriteRocPicture(const std::string& dir, const AnomalyResult& anomaly);
// The closing pictures, in order: reconstructions; for VAEs, prior samples (drawn from `seed`);
// latent walks (spherical ones too for VAEs); for VAEs with a 2-D code, the decoded grid; the
// test codes (encoded batch_size at a time); the first-layer filters, when the model has them;
// the loss curves, when `run_dir` has a metrics.csv.
std::vector<Picture> WriteReportPictures(const std::string& dir, Model& model, const Dataset& test,
                                         const ModelShape& shape, const std::string& run_dir,
                                         uint64_t seed, int64_t batch_size);

}  // namespace latent

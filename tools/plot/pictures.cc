#include "tools/plot/pictures.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/autograd.h"
#include "core/io/file_util.h"
#include "kernels/error.h"
#include "models/train/metrics.h"
#include "models/vae/vae_core.h"
#include "tools/eval/analysis.h"
#include "tools/eval/latent_walk.h"
#include "tools/eval/pca.h"
#include "tools/plot/plot.h"

namespace latent {
namespace {

constexpr int kMargin = 10, kGap = 2, kTitleScale = 2;

// `n` copies of `label` as an i32 (n) tensor on `device`.
Tensor Labels(int64_t n, int32_t label, Device device) {
  return Tensor::FromVector<int32_t>(std::vector<int32_t>(n, label), {n}).To(device);
}

// The index of the first example with label `label`, or -1.
int64_t FirstWithLabel(const std::vector<int32_t>& labels, int label) {
  const auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : it - labels.begin();
}

// Each image of (n, D) rescaled to [0, 1] by its own min and max (a constant image becomes 0.5).
std::vector<float> NormalizeEach(std::vector<float> v, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; ++i) {
    float* x = v.data() + i * d;
    const auto [lo, hi] = std::minmax_element(x, x + d);
    const float low = *lo, range = *hi - *lo;
    for (int64_t j = 0; j < d; ++j) x[j] = range > 0 ? (x[j] - low) / range : 0.5f;
  }
  return v;
}

}  // namespace

void WriteDigitFigure(const std::string& path, const std::string& title,
                      const std::vector<TileRow>& rows, const ModelShape& shape, int scale) {
  LATENT_CHECK(!rows.empty(), "a figure needs at least one row of images: ", path);
  const int h = static_cast<int>(shape.height), w = static_cast<int>(shape.width);
  int label_width = 0;
  int64_t cols = 0;
  for (const TileRow& row : rows) {
    LATENT_CHECK(row.images.ndim() == 2 && row.images.size(1) == shape.features(), "row '",
                 row.label, "' of ", path, ": expected images of ", h, "x", w, " = ",
                 shape.features(), " pixels, found shape ", row.images.shape().ToString());
    if (!row.label.empty()) label_width = std::max(label_width, Canvas::TextWidth(row.label) + 8);
    cols = std::max(cols, row.images.size(0));
  }
  const int tile_w = w * scale, tile_h = h * scale;
  const int title_h = Canvas::TextHeight(kTitleScale) + 2 * kMargin;
  const int grid_w = static_cast<int>(cols) * (tile_w + kGap) - kGap;
  const int width = std::max(2 * kMargin + label_width + grid_w,
                             2 * kMargin + Canvas::TextWidth(title, kTitleScale));
  const int height = title_h + static_cast<int>(rows.size()) * (tile_h + kGap) - kGap + kMargin;
  Canvas canvas(width, height, kWhite);
  canvas.Text((width - Canvas::TextWidth(title, kTitleScale)) / 2, kMargin, title, kBlack,
              kTitleScale);
  for (size_t r = 0; r < rows.size(); ++r) {
    const int y = title_h + static_cast<int>(r) * (tile_h + kGap);
    canvas.Text(kMargin, y + (tile_h - Canvas::TextHeight()) / 2, rows[r].label, kBlack);
    const std::vector<float> pixels = rows[r].images.ToVector<float>();
    for (int64_t c = 0; c < rows[r].images.size(0); ++c)
      canvas.Blit(kMargin + label_width + static_cast<int>(c) * (tile_w + kGap), y,
                  pixels.data() + c * shape.features(), w, h, scale);
  }
  canvas.WritePng(path);
}

void WriteReconstructionPairs(const std::string& path, Model& model, const Dataset& test,
                              const ModelShape& shape, int64_t cols, int64_t pairs) {
  NoGradGuard no_grad;
  std::vector<TileRow> rows;
  for (int64_t p = 0; p < pairs && p * cols < test.size(); ++p) {
    const int64_t begin = p * cols, end = std::min(test.size(), begin + cols);
    const Tensor x = test.images.Rows(begin, end);
    rows.push_back({"test", x});
    rows.push_back({"recon", model.Reconstruct(x, test.labels.Rows(begin, end))});
  }
  WriteDigitFigure(path, "Test images and their reconstructions", rows, shape);
}

void WritePriorSamples(const std::string& path, Model& model, const ModelShape& shape, int64_t n,
                       uint64_t seed) {
  NoGradGuard no_grad;
  const Tensor images = model.Sample(n, seed, Tensor());
  std::vector<TileRow> rows;
  for (int64_t begin = 0; begin < n; begin += 10)
    rows.push_back({"", images.Rows(begin, std::min(n, begin + 10))});
  WriteDigitFigure(path, "Samples: z ~ N(0, I) decoded", rows, shape);
}

void WriteInterpolations(const std::string& path, Model& model, const Dataset& test,
                         const ModelShape& shape, int64_t steps, bool spherical) {
  NoGradGuard no_grad;
  const std::vector<int32_t> labels = test.labels.ToVector<int32_t>();
  const Device device = test.images.device();
  const int kPairs[][2] = {{0, 6}, {1, 7}, {3, 8}, {4, 9}, {2, 5}};
  std::vector<TileRow> rows;
  for (const auto& pair : kPairs) {
    const int64_t a = FirstWithLabel(labels, pair[0]), b = FirstWithLabel(labels, pair[1]);
    if (a < 0 || b < 0) continue;
    const Tensor xa = test.images.Rows(a, a + 1), xb = test.images.Rows(b, b + 1);
    const Tensor label = Labels(1, pair[0], device);
    const Tensor za = model.Encode(xa, label), zb = model.Encode(xb, Labels(1, pair[1], device));
    for (bool slerp : {false, true}) {
      if (slerp && !spherical) continue;
      const Tensor decoded =
          model.Decode(InterpolateCodes(za, zb, steps, slerp), Labels(steps, pair[0], device));
      Tensor row = Tensor::Empty({steps + 2, shape.features()}, decoded.dtype(), device);
      row.Rows(0, 1).CopyFrom(xa);
      row.Rows(1, steps + 1).CopyFrom(decoded);
      row.Rows(steps + 1, steps + 2).CopyFrom(xb);
      rows.push_back({std::to_string(pair[0]) + "->" + std::to_string(pair[1]) +
                          (slerp ? " slerp" : " linear"),
                      row});
    }
  }
  LATENT_CHECK(!rows.empty(), "no pair of digits to interpolate between in ", test.size(),
               " test images");
  WriteDigitFigure(path, "Latent walks: first image, decoded path, last image", rows, shape);
}

void WriteManifold(const std::string& path, Model& model, const ModelShape& shape, int64_t n) {
  LATENT_CHECK(model.code_size() == 2, "the manifold picture needs a 2-D code; this model's has ",
               model.code_size(), " dimensions");
  NoGradGuard no_grad;
  const Device device = model.params().device();
  const Tensor images =
      model.Decode(ManifoldGridCodes(n, DType::kF32, device), Labels(n * n, 0, device));
  std::vector<TileRow> rows;
  for (int64_t r = 0; r < n; ++r) rows.push_back({"", images.Rows(r * n, (r + 1) * n)});
  WriteDigitFigure(path, "Decoded grid: z1 grows to the right, z2 upwards", rows, shape, 1);
}

void WriteCodeScatter(const std::string& path, const Tensor& codes, const Tensor& labels) {
  const int64_t n = codes.size(0), d = codes.size(1);
  std::vector<float> host = codes.ToVector<float>();
  std::string x_label = "z1", y_label = "z2", title = "Test codes by digit";
  if (d > 2) {  // the plane of largest variance
    const Pca pca = FitPca(host.data(), n, d, 2);
    std::vector<float> projected(n * 2);
    PcaEncode(pca, host.data(), n, projected.data());
    host.swap(projected);
    x_label = "principal component 1";
    y_label = "principal component 2";
    title = "Test codes on their first two principal components";
  }
  const int64_t stride = std::min<int64_t>(d, 2);  // a 1-D code is drawn on the line y = 0
  std::vector<double> x(n), y(n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = host[i * stride];
    if (stride == 2) y[i] = host[i * 2 + 1];
  }
  const std::vector<int32_t> l = labels.ToVector<int32_t>();
  std::vector<int> category(l.begin(), l.end());
  std::vector<std::string> names;
  for (int c = 0; c <= *std::max_element(category.begin(), category.end()); ++c)
    names.push_back(std::to_string(c));
  ChartOptions options;
  options.point_radius = 1;
  WriteScatter(path, title, x_label, y_label, x, y, category, names, options);
}

bool WriteFilters(const std::string& path, Model& model, const ModelShape& shape,
                  int64_t max_filters) {
  const Parameters& params = model.params();
  for (int i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    const bool dense = p.ndim() == 2 && p.size(1) >= shape.features();
    const bool conv = p.ndim() == 4 && p.size(1) == 1;
    if (!dense && !conv) continue;
    const int64_t n = std::min(p.size(0), max_filters);
    const int64_t fh = dense ? shape.height : p.size(2), fw = dense ? shape.width : p.size(3);
    std::vector<float> all = p.To(Device::Cpu()).ToDType(DType::kF32).ToVector<float>();
    std::vector<float> tiles(n * fh * fw);
    for (int64_t f = 0; f < n; ++f)  // a dense row's first H*W weights read the pixels
      std::copy_n(all.begin() + f * (all.size() / p.size(0)), fh * fw, tiles.begin() + f * fh * fw);
    tiles = NormalizeEach(std::move(tiles), n, fh * fw);
    const Tensor images = Tensor::FromVector(tiles, {n, fh * fw});
    std::vector<TileRow> rows;
    for (int64_t begin = 0; begin < n; begin += 10)
      rows.push_back({"", images.Rows(begin, std::min(n, begin + 10))});
    const int scale = static_cast<int>(std::max<int64_t>(1, 56 / fh));
    WriteDigitFigure(path, "First-layer filters (" + params.name(i) + ")", rows,
                     {fh, fw, shape.num_classes}, scale);
    return true;
  }
  return false;
}

void WriteLossCurves(const std::string& path, const std::string& metrics_csv) {
  Series train_series{"train (mean over the epoch's steps)", {}, {}, PaletteColor(0)};
  Series test_series{"test (after the epoch)", {}, {}, PaletteColor(1)};
  Series val_series{"validation (after the epoch)", {}, {}, PaletteColor(2)};
  for (const EpochMetrics& m : ParseMetricsCsv(ReadFileBytes(metrics_csv), metrics_csv)) {
    train_series.x.push_back(m.epoch);
    train_series.y.push_back(m.train.loss);
    test_series.x.push_back(m.epoch);
    test_series.y.push_back(m.test.loss);
    if (m.val) {
      val_series.x.push_back(m.epoch);
      val_series.y.push_back(m.val->loss);
    }
  }
  LATENT_CHECK(!train_series.x.empty(), metrics_csv, " has no epochs");
  ChartOptions options;
  options.markers = true;
  std::vector<Series> series = {train_series, test_series};
  if (!val_series.x.empty()) series.push_back(val_series);  // a run with a validation set
  WriteLineChart(path, "Loss per image", "epoch", "loss", series, options);
}

void WriteRocCurves(const std::string& path, const std::vector<OneClassResult>& results) {
  std::vector<Series> series;
  for (const OneClassResult& r : results) {
    char name[48];
    std::snprintf(name, sizeof name, "%d (AUROC %.3f)", r.normal_label, r.auroc);
    Series s{name, {}, {}, PaletteColor(r.normal_label)};
    for (const RocPoint& p : r.roc) {
      s.x.push_back(p.false_positive_rate);
      s.y.push_back(p.true_positive_rate);
    }
    series.push_back(std::move(s));
  }
  ChartOptions options;
  options.x_min = options.y_min = 0.0;
  options.x_max = options.y_max = 1.0;
  options.diagonal = true;
  WriteLineChart(path, "One-class ROC: normal digit (AUROC)", "false positive rate",
                 "true positive rate", series, options);
}

Picture WriteDenoisingPicture(const std::string& dir, const Dataset& test,
                              const std::vector<DenoisingResult>& denoising,
                              const ModelShape& shape) {
  const Picture picture{
      "denoising.png",
      "clean test images; each noise type, and the reconstruction of the noisy images"};
  LATENT_CHECK(!denoising.empty(), "no denoising results to draw");
  const int64_t shown = denoising.front().noisy_examples.size(0);
  std::vector<TileRow> rows = {{"clean", test.images.Rows(0, shown)}};
  for (const DenoisingResult& d : denoising) {
    rows.push_back({d.noise, d.noisy_examples});
    rows.push_back({"denoised", d.output_examples});
  }
  WriteDigitFigure(dir + "/" + picture.file, "Clean, corrupted, and reconstructed from corrupted",
                   rows, shape);
  return picture;
}

Picture WriteRocPicture(const std::string& dir, const AnomalyResult& anomaly) {
  const Picture picture{"roc.png", "ROC curves, one per normal digit"};
  WriteRocCurves(dir + "/" + picture.file, anomaly.per_digit);
  return picture;
}

std::vector<Picture> WriteReportPictures(const std::string& dir, Model& model, const Dataset& test,
                                         const ModelShape& shape, const std::string& run_dir,
                                         uint64_t seed, int64_t batch_size) {
  // A VAE has a prior to sample and walk on spherically (its mass sits at a typical norm).
  const bool vae = dynamic_cast<VaeCore*>(&model) != nullptr;
  std::vector<Picture> pictures;
  const auto path = [&](const std::string& file) { return dir + "/" + file; };
  WriteReconstructionPairs(path("reconstructions.png"), model, test, shape, 10, 3);
  pictures.push_back({"reconstructions.png", "test images (odd rows) above their reconstructions"});
  if (vae) {
    WritePriorSamples(path("samples.png"), model, shape, 100, seed);
    pictures.push_back({"samples.png", "decoded draws from the prior N(0, I)"});
  }
  WriteInterpolations(path("interpolation.png"), model, test, shape, 10, vae);
  pictures.push_back({"interpolation.png",
                      vae ? "latent walks between pairs of test images: linear, then spherical"
                          : "latent walks between pairs of test images (linear)"});
  if (vae && model.code_size() == 2) {
    WriteManifold(path("manifold.png"), model, shape, 20);
    pictures.push_back(
        {"manifold.png", "the decoder over the prior: a 20 x 20 grid of inverse-CDF codes"});
  }
  WriteCodeScatter(path("codes.png"), EncodeAll(model, test, batch_size), test.labels);
  pictures.push_back({"codes.png", model.code_size() == 2
                                       ? "test codes coloured by digit"
                                       : "test codes on their two principal components"});
  if (WriteFilters(path("filters.png"), model, shape, 100))
    pictures.push_back({"filters.png", "first-layer filters (each scaled to its own range)"});
  // A run at epoch 0 has an empty metrics.csv: no curves yet.
  const std::string metrics = run_dir + "/metrics.csv";
  if (std::filesystem::exists(metrics) && std::filesystem::file_size(metrics) > 0) {
    WriteLossCurves(path("loss_curves.png"), metrics);
    pictures.push_back({"loss_curves.png", "loss per image by epoch (metrics.csv)"});
  }
  return pictures;
}

}  // namespace latent

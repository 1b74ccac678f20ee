// latent eval: the measures the autoencoder literature reports, on a trained run directory.
//
// Prints one JSON object to stdout and writes OUT/report.md with the pictures beside it:
//   test      loss per image and its parts (for VAEs the ELBO's reconstruction and KL), and the
//             squared reconstruction error per image
//   iwae      VAEs: importance-weighted estimate of the test log-likelihood, k samples per image
//   pca       PCA with as many components as the code, fitted on the training images: its test
//             squared error beside the autoencoder's (dimensionality reduction)
//   probe     softmax classifiers trained on the codes, on raw pixels and on PCA codes: test
//             accuracy (feature extraction)
//   knn       the same representations classified by their k nearest training points: test
//             accuracy, with k
//   denoising PSNR of corrupted test images and of their reconstructions, per noise type
//   anomaly   one-class models, one per digit (--anomaly-epochs > 0): AUROC per digit and mean
// Each measure is a function of tools/eval/, the report is written by tools/eval/report.h and the
// pictures are drawn by tools/plot/pictures.h: this file turns flags into their arguments.
#include <cstdio>
#include <filesystem>

#include "core/io/dataset.h"
#include "core/io/file_util.h"
#include "kernels/error.h"
#include "models/train/run_dir.h"
#include "models/vae/vae_core.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/eval/report.h"
#include "tools/plot/pictures.h"

namespace latent {

int RunEval(const Args& args) {
  std::vector<FlagSpec> specs = {
      {"run", "", "run directory written by `latent train`"},
      {"data", "", "IDX directory (default: the run's training data directory)"},
      {"out", "", "directory for report.md and its pictures (default: RUN/eval)"},
      {"seed", "1", "seed of every draw the evaluation makes (noise, importance samples)"},
      {"batch-size", "500", "images per evaluation batch"},
      {"test-limit", "0", "use only the first N test images (0: all)"},
      {"train-limit", "0", "use only the first N training images for PCA and probes (0: all)"},
      {"binarize", "",
       "binarize test images for the loss and the likelihood, with the draw the run's training "
       "was tested on (fixed by the run's seed): true or false (default: as the run was trained)"},
      {"iwae-k", "5000", "VAEs: importance samples per test image (0: skip the estimate)"},
      {"iwae-limit", "0", "VAEs: estimate the likelihood on the first N test images (0: all)"},
      {"iwae-chunk", "500", "VAEs: importance samples decoded per image in one batch"},
      {"probe-epochs", "20", "epochs of each linear probe (0: skip the probes)"},
      {"knn-k", "5", "neighbours of each k-NN probe, a majority vote (0: skip the k-NN probes)"},
      {"pca", "true", "compare with PCA of the same size (false: skip)"},
      {"noise-sigma", "0.5", "denoising: Gaussian noise sigma"},
      {"noise-mask", "0.5", "denoising: fraction of pixels set to 0"},
      {"noise-salt", "0.2", "denoising: fraction of pixels set to 0 or 1"},
      {"anomaly-epochs", "0",
       "one-class anomaly detection: epochs of each of the 10 one-digit models (0: skip)"},
      {"anomaly-score", "recon",
       "what makes a test image anomalous: recon (squared reconstruction error) or nll (VAEs: "
       "-log p(x), importance-weighted with --anomaly-k samples)"},
      {"anomaly-k", "100", "importance samples per image for --anomaly-score nll"}};
  for (const FlagSpec& f : DeviceFlags()) specs.push_back(f);
  Flags flags("eval", specs);
  flags.DeclareSwitch("binarize");  // alone, true, as `latent train --binarize` is
  if (ParseOrPrintHelp(flags, args)) return 0;
  LATENT_CHECK(!flags.Get("run").empty(), "--run is required: the directory of a trained run");
  const std::string run_dir = flags.Get("run");
  const std::string out = flags.Get("out").empty() ? run_dir + "/eval" : flags.Get("out");
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  const int64_t batch = flags.GetInt("batch-size", 1, 1 << 20);
  const Device device = SetUpDevice(flags);

  LoadedRun run = LoadRun(run_dir, device);
  Model& model = *run.model;
  const std::string data_dir =
      flags.Get("data").empty() ? run.config.At("data").At("dir").AsString() : flags.Get("data");
  const Dataset train =
      LoadDataset(data_dir, "train", device, flags.GetInt("train-limit", 0, INT64_MAX));
  const Dataset test =
      LoadDataset(data_dir, "t10k", device, flags.GetInt("test-limit", 0, INT64_MAX));
  CheckSameImageShape(train, test);
  LATENT_CHECK(test.height == run.shape.height && test.width == run.shape.width,
               "the run's model takes ", run.shape.height, "x", run.shape.width, " images; ",
               data_dir, " holds ", test.height, "x", test.width);
  // Checked before the measures that take minutes.
  const int64_t knn_k = flags.GetInt("knn-k", 0, 1 << 20);
  LATENT_CHECK(knn_k <= train.size(), "--knn-k ", knn_k, ": expected at most the ", train.size(),
               " training images");
  std::filesystem::create_directories(out);

  EvalReport report;
  report.run_dir = run_dir;
  report.model_name = run.config.At("model").AsString();
  report.data_dir = data_dir;
  report.trained = run.options;
  report.code_size = model.code_size();
  report.features = test.features();
  report.test_images = test.size();
  report.binarized =
      flags.Get("binarize").empty() ? run.options.binarize : flags.GetBool("binarize");

  // The run's seed, not --seed, draws the binarization: the loss is then of the images training
  // reported its test loss on.
  const Dataset scored = report.binarized ? BinarizeTestSet(test, run.options.seed) : test;
  report.test = MeasureTestSet(model, test, scored, batch, seed);
  auto* vae = dynamic_cast<VaeCore*>(&model);
  const int64_t k = flags.GetInt("iwae-k", 0, 1 << 24);
  if (vae && k > 0) {
    const auto progress = [](int64_t done, int64_t total) {
      std::fprintf(stderr, "\riwae: %lld / %lld images", static_cast<long long>(done),
                   static_cast<long long>(total));
    };
    report.iwae = MeasureIwae(*vae, scored, k, flags.GetInt("iwae-limit", 0, INT64_MAX),
                              flags.GetInt("iwae-chunk", 1, 1 << 20), seed, progress);
    std::fputc('\n', stderr);
  }
  // A PCA with as many components as pixels would reconstruct exactly: no baseline.
  if (flags.GetBool("pca") && report.code_size < report.features)
    report.pca = MeasurePcaBaseline(train, test, report.code_size);
  const int probe_epochs = static_cast<int>(flags.GetInt("probe-epochs", 0, 100000));
  if (probe_epochs > 0) {
    ProbeOptions options;
    options.epochs = probe_epochs;
    options.seed = seed;
    report.probes = MeasureProbes(model, train, test, report.pca ? &*report.pca : nullptr,
                                  run.shape.num_classes, options, batch);
  }
  if (knn_k > 0) {
    report.knn_k = knn_k;
    report.knn = MeasureKnnProbes(model, train, test, report.pca ? &*report.pca : nullptr,
                                  run.shape.num_classes, knn_k, batch);
  }
  NoiseLevels noise;
  noise.gaussian = flags.GetDouble("noise-sigma", 0.0, 100.0);
  noise.masking = flags.GetDouble("noise-mask", 0.0, 100.0);
  noise.salt_and_pepper = flags.GetDouble("noise-salt", 0.0, 100.0);
  report.denoising = MeasureDenoising(model, test, noise, seed, batch);
  report.denoising_figure = WriteDenoisingPicture(out, test, report.denoising, run.shape);
  const int anomaly_epochs = static_cast<int>(flags.GetInt("anomaly-epochs", 0, 100000));
  if (anomaly_epochs > 0) {
    AnomalyScore score;
    score.kind = AnomalyScoreKind(flags.Get("anomaly-score"));
    score.k = flags.GetInt("anomaly-k", 1, 1 << 20);
    LATENT_CHECK(score.kind != AnomalyScore::kLikelihood || vae,
                 "--anomaly-score nll needs a VAE-family run; ", report.model_name,
                 " has no likelihood");
    report.anomaly = MeasureAnomaly(run.config, run.options, anomaly_epochs, run.shape.num_classes,
                                    train, test, score);
    report.roc_figure = WriteRocPicture(out, *report.anomaly);
  }
  report.pictures = WriteReportPictures(out, model, test, run.shape, run_dir, seed, batch);

  const std::string markdown = out + "/report.md";
  WriteFileAtomic(markdown, {ReportMarkdown(report)});
  std::printf("%s\n", ReportJson(report, markdown).Dump(2).c_str());
  return 0;
}

}  // namespace latent

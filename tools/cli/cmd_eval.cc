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
//   denoising PSNR of corrupted test images and of their reconstructions, per noise type
//   anomaly   one-class models, one per digit (--anomaly-epochs > 0): AUROC per digit and mean
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/io/file_util.h"
#include "tools/eval/metrics.h"
#include "tools/eval/pca.h"
#include "tools/eval/analysis.h"
#include "tools/eval/linear_probe.h"
#include "tools/eval/one_class.h"
#include "tools/plot/pictures.h"
#include "models/train/run_dir.h"
#include "models/vae/vae_core.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace latent {
namespace {

double Mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A Markdown report assembled section by section.
class Report {
 public:
  void Line(const std::string& text = "") { out_ << text << '\n'; }
  void Section(const std::string& title) { out_ << "\n## " << title << "\n\n"; }
  void Row(const std::vector<std::string>& cells) {
    for (const std::string& cell : cells) out_ << "| " << cell << " ";
    out_ << "|\n";
  }
  void Row(const std::string& name, const std::string& value) { Row({name, value}); }
  // A table's first row and the separator under it.
  void Header(const std::vector<std::string>& cells) {
    Row(cells);
    Row(std::vector<std::string>(cells.size(), "---"));
  }
  void Image(const std::string& caption, const std::string& file) {
    out_ << "![" << caption << "](" << file << ")\n\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// PCA with k components of the training images: test squared error per image, and the codes of
// both splits (for the probe).
struct PcaResult {
  int64_t k = 0;
  double squared_error = 0.0;
  Tensor train_codes, test_codes;
};

PcaResult RunPca(const Dataset& train, const Dataset& test, int64_t k) {
  const int64_t d = train.features();
  const std::vector<float> x_train = train.images.ToVector<float>();
  const std::vector<float> x_test = test.images.ToVector<float>();
  const Pca pca = FitPca(x_train.data(), train.size(), d, k);
  std::vector<float> codes_train(train.size() * k), codes_test(test.size() * k);
  std::vector<float> recon(test.size() * d);
  PcaEncode(pca, x_train.data(), train.size(), codes_train.data());
  PcaEncode(pca, x_test.data(), test.size(), codes_test.data());
  PcaDecode(pca, codes_test.data(), test.size(), recon.data());
  const Device device = train.images.device();
  PcaResult r;
  r.k = k;
  r.squared_error = Mean(RowSquaredErrors(Tensor::FromVector(recon, {test.size(), d}),
                                          Tensor::FromVector(x_test, {test.size(), d})));
  r.train_codes = Tensor::FromVector(codes_train, {train.size(), k}).To(device);
  r.test_codes = Tensor::FromVector(codes_test, {test.size(), k}).To(device);
  return r;
}

struct Noise {
  const char* name;
  kernels::Corruption kind;
  const char* flag;
};
constexpr Noise kNoises[] = {{"gaussian", kernels::Corruption::kGaussian, "noise-sigma"},
                             {"masking", kernels::Corruption::kMask, "noise-mask"},
                             {"salt-and-pepper", kernels::Corruption::kSaltPepper, "noise-salt"}};

}  // namespace

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
  if (ParseOrPrintHelp(flags, args)) return 0;
  LATENT_CHECK(!flags.Get("run").empty(), "--run is required: the directory of a trained run");
  const std::string run_dir = flags.Get("run");
  const std::string out = flags.Get("out").empty() ? run_dir + "/eval" : flags.Get("out");
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  const int64_t batch = flags.GetInt("batch-size", 1, 1 << 20);
  const Device device = SetUpDevice(flags);

  LoadedRun run = LoadRun(run_dir, device);
  Model& model = *run.model;
  const std::string model_name = run.config.At("model").AsString();
  const std::string data_dir =
      flags.Get("data").empty() ? run.config.At("data").At("dir").AsString() : flags.Get("data");
  const Dataset train =
      LoadDataset(data_dir, "train", device, flags.GetInt("train-limit", 0, INT64_MAX));
  const Dataset test =
      LoadDataset(data_dir, "t10k", device, flags.GetInt("test-limit", 0, INT64_MAX));
  LATENT_CHECK(test.features() == run.shape.features(), "the run's model takes ",
               run.shape.height, "x", run.shape.width, " images; ", data_dir, " holds ",
               test.height, "x", test.width);
  const bool binarize =
      flags.Get("binarize").empty() ? run.options.binarize : flags.GetBool("binarize");
  std::filesystem::create_directories(out);

  Json result = Json::MakeObject();
  Json images = Json(Json::Array{});  // every picture written, in report order
  result.Set("run", run_dir);
  result.Set("model", model_name);
  result.Set("test_images", test.size());
  Report report;
  report.Line("# Evaluation of `" + run_dir + "` (" + model_name + ")");
  report.Line();
  report.Line("Trained " + std::to_string(run.options.epochs) + " epochs (batch " +
              std::to_string(run.options.batch_size) + ", lr " + Json(run.options.lr).Dump() +
              (run.options.binarize ? ", dynamic binarization" : "") + "); " +
              std::to_string(test.size()) + " test images from `" + data_dir + "`.");

  // --- the test loss and the reconstruction error -----------------------------------------------
  // The run's seed, not --seed, draws the binarization: the loss is then of the images training
  // reported its test loss on.
  const Dataset scored = binarize ? BinarizeTestSet(test, run.options.seed) : test;
  const Evaluation eval = Evaluate(model, scored, batch, seed);
  const std::vector<double> errors = ReconstructionErrors(model, test, batch);
  const double squared_error = Mean(errors);
  Json test_json = Json::MakeObject();
  test_json.Set("loss", eval.loss);
  for (const auto& [name, value] : eval.parts) test_json.Set(name, value);
  test_json.Set("squared_error", squared_error);
  test_json.Set("binarized", binarize);
  result.Set("test", test_json);
  report.Section("Test set");
  report.Line("Per test image" + std::string(binarize ? ", on binarized images" : "") + ".");
  report.Line();
  report.Header({"measure", "value"});
  report.Row("loss (the training objective)", Fixed(eval.loss, 3));
  for (const auto& [name, value] : eval.parts) report.Row("loss part `" + name + "`", Fixed(value, 3));
  report.Row("squared reconstruction error, summed over pixels", Fixed(squared_error, 3));

  // --- VAEs: the importance-weighted log-likelihood ---------------------------------------------
  auto* vae = dynamic_cast<VaeCore*>(&model);
  const int64_t k = flags.GetInt("iwae-k", 0, 1 << 24);
  if (vae && k > 0) {
    const int64_t limit = flags.GetInt("iwae-limit", 0, INT64_MAX);
    const int64_t n = limit > 0 ? std::min(limit, test.size()) : test.size();
    const int64_t chunk = flags.GetInt("iwae-chunk", 1, 1 << 20);
    std::vector<double> log_px;
    // 100 images per call, each with its own seed: one decoder call has 100 x chunk rows, and
    // the estimate depends on neither the chunk nor the machine.
    const int64_t group = 100;
    for (int64_t begin = 0; begin < n; begin += group) {
      const int64_t end = std::min(n, begin + group);
      const std::vector<double> part = vae->ImportanceWeightedLogLikelihood(
          scored.images.Rows(begin, end), test.labels.Rows(begin, end), k,
          seed + static_cast<uint64_t>(begin), chunk);
      log_px.insert(log_px.end(), part.begin(), part.end());
      std::fprintf(stderr, "\riwae: %lld / %lld images", static_cast<long long>(end),
                   static_cast<long long>(n));
    }
    std::fputc('\n', stderr);
    const double nll = -Mean(log_px);
    Json iwae = Json::MakeObject();
    iwae.Set("k", k);
    iwae.Set("images", n);
    iwae.Set("binarized", binarize);
    iwae.Set("nll", nll);
    result.Set("iwae", iwae);
    report.Row("negative log-likelihood, importance-weighted (k = " + std::to_string(k) + ", " +
                   std::to_string(n) + " images)",
               Fixed(nll, 2) + " nats");
  }
  report.Line();

  // --- dimensionality reduction against PCA, and the linear probes -----------------------------
  const int64_t code = model.code_size();
  PcaResult pca;
  const bool with_pca = flags.GetBool("pca") && code < test.features();
  if (with_pca) {
    pca = RunPca(train, test, code);
    Json j = Json::MakeObject();
    j.Set("components", code);
    j.Set("squared_error", pca.squared_error);
    j.Set("autoencoder_over_pca", squared_error / pca.squared_error);
    result.Set("pca", j);
    report.Section("Dimensionality reduction: against PCA with " + std::to_string(code) +
                   " components");
    report.Header({"method", "squared error per test image"});
    report.Row(model_name + " (" + std::to_string(code) + "-d code)", Fixed(squared_error, 3));
    report.Row("PCA-" + std::to_string(code) + " (fitted on the training images)",
               Fixed(pca.squared_error, 3));
    report.Row("ratio", Fixed(squared_error / pca.squared_error, 3));
  }
  const int probe_epochs = static_cast<int>(flags.GetInt("probe-epochs", 0, 100000));
  if (probe_epochs > 0) {
    ProbeOptions options;
    options.epochs = probe_epochs;
    options.seed = seed;
    const int classes = run.shape.num_classes;
    Json j = Json::MakeObject();
    report.Section("Feature extraction: a softmax classifier on each representation");
    report.Header({"features", "test accuracy"});
    auto probe = [&](const std::string& name, const std::string& label, const Tensor& tr,
                     const Tensor& te) {
      const ProbeResult r = LinearProbe(tr, train.labels, te, test.labels, classes, options);
      j.Set(name, r.test_accuracy);
      report.Row(label, Fixed(100.0 * r.test_accuracy, 2) + " %");
    };
    probe("codes", model_name + " codes (" + std::to_string(code) + "-d)",
          EncodeAll(model, train, batch), EncodeAll(model, test, batch));
    probe("pixels", "raw pixels (" + std::to_string(test.features()) + "-d)", train.images,
          test.images);
    if (with_pca)
      probe("pca", "PCA codes (" + std::to_string(code) + "-d)", pca.train_codes, pca.test_codes);
    result.Set("probe", j);
  }

  // --- denoising ----------------------------------------------------------------------------------
  {
    report.Section("Denoising: PSNR against the clean test images");
    report.Header({"noise", "PSNR of the noisy input", "PSNR of the reconstruction"});
    Json list = Json(Json::Array{});
    const std::vector<float> clean = test.images.ToVector<float>();
    const int64_t shown = std::min<int64_t>(10, test.size());
    std::vector<TileRow> rows = {{"clean", test.images.Rows(0, shown)}};
    for (const Noise& noise : kNoises) {
      const double level = flags.GetDouble(noise.flag, 0.0, 100.0);
      const Tensor noisy = CorruptAll(test, noise.kind, level, seed);
      const Tensor output = ReconstructAll(model, noisy, test.labels, batch);
      const std::vector<float> noisy_host = noisy.ToVector<float>();
      const std::vector<float> output_host = output.ToVector<float>();
      const int64_t n = static_cast<int64_t>(clean.size());
      const double psnr_in = Psnr(clean.data(), noisy_host.data(), n);
      const double psnr_out = Psnr(clean.data(), output_host.data(), n);
      Json j = Json::MakeObject();
      j.Set("noise", noise.name);
      j.Set("level", level);
      j.Set("psnr_noisy", psnr_in);
      j.Set("psnr_output", psnr_out);
      list.Push(j);
      report.Row({std::string(noise.name) + " (" + Fixed(level, 2) + ")",
                 Fixed(psnr_in, 2) + " dB", Fixed(psnr_out, 2) + " dB"});
      rows.push_back({noise.name, noisy.Rows(0, shown)});
      rows.push_back({"denoised", output.Rows(0, shown)});
    }
    result.Set("denoising", list);
    images.Push("denoising.png");
    WriteDigitFigure(out + "/denoising.png", "Clean, corrupted, and reconstructed from corrupted",
                     rows, run.shape);
    report.Line();
    report.Image("clean test images; each noise type, and the reconstruction of the noisy images",
                 "denoising.png");
  }

  // --- one-class anomaly detection --------------------------------------------------------------
  const int anomaly_epochs = static_cast<int>(flags.GetInt("anomaly-epochs", 0, 100000));
  if (anomaly_epochs > 0) {
    TrainOptions options = run.options;
    options.epochs = anomaly_epochs;
    std::vector<int> labels;
    for (int d = 0; d < run.shape.num_classes; ++d) labels.push_back(d);
    AnomalyScore score;
    const std::string score_name = flags.Get("anomaly-score");
    LATENT_CHECK(score_name == "recon" || score_name == "nll",
                 "--anomaly-score expects recon or nll, found '", score_name, "'");
    score.kind = score_name == "nll" ? AnomalyScore::kLikelihood : AnomalyScore::kReconstruction;
    score.k = flags.GetInt("anomaly-k", 1, 1 << 20);
    LATENT_CHECK(score.kind != AnomalyScore::kLikelihood || vae,
                 "--anomaly-score nll needs a VAE-family run; ", model_name, " has no likelihood");
    const std::vector<OneClassResult> results =
        OneClassAnomaly(run.config, train, test, labels, options, score);
    Json per = Json(Json::Array{});
    std::vector<double> aurocs;
    report.Section(score.kind == AnomalyScore::kLikelihood
                       ? "Anomaly detection: one model per digit, scored by -log p(x) (k = " +
                             std::to_string(score.k) + ")"
                       : "Anomaly detection: one model per digit, scored by reconstruction error");
    report.Line("Each model trains " + std::to_string(anomaly_epochs) +
                " epochs on one digit's training images; every other digit is an anomaly.");
    report.Line();
    report.Header({"normal digit", "AUROC"});
    for (const OneClassResult& r : results) {
      per.Push(r.auroc);
      aurocs.push_back(r.auroc);
      report.Row(std::to_string(r.normal_label), Fixed(r.auroc, 4));
    }
    report.Row("mean", Fixed(Mean(aurocs), 4));
    Json j = Json::MakeObject();
    j.Set("epochs", anomaly_epochs);
    j.Set("score", score_name);
    j.Set("auroc", per);
    j.Set("mean_auroc", Mean(aurocs));
    result.Set("anomaly", j);
    WriteRocCurves(out + "/roc.png", results);
    images.Push("roc.png");
    report.Line();
    report.Image("ROC curves, one per normal digit", "roc.png");
  }

  // --- pictures -----------------------------------------------------------------------------------
  report.Section("Pictures");
  auto add_image = [&](const std::string& file, const std::string& caption) {
    images.Push(file);
    report.Line("**" + caption + "**");
    report.Line();
    report.Image(caption, file);
  };
  WriteReconstructionPairs(out + "/reconstructions.png", model, test, run.shape, 10, 3);
  add_image("reconstructions.png", "test images (odd rows) above their reconstructions");
  if (vae) {
    WritePriorSamples(out + "/samples.png", model, run.shape, 100, seed);
    add_image("samples.png", "decoded draws from the prior N(0, I)");
  }
  WriteInterpolations(out + "/interpolation.png", model, test, run.shape, 10, vae != nullptr);
  add_image("interpolation.png",
            vae ? "latent walks between pairs of test images: linear, then spherical"
                : "latent walks between pairs of test images (linear)");
  if (vae && code == 2) {
    WriteManifold(out + "/manifold.png", model, run.shape, 20);
    add_image("manifold.png", "the decoder over the prior: a 20 x 20 grid of inverse-CDF codes");
  }
  WriteCodeScatter(out + "/codes.png", EncodeAll(model, test, batch), test.labels);
  add_image("codes.png", code == 2 ? "test codes coloured by digit"
                                   : "test codes on their two principal components");
  if (WriteFilters(out + "/filters.png", model, run.shape, 100))
    add_image("filters.png", "first-layer filters (each scaled to its own range)");
  if (std::filesystem::exists(run_dir + "/metrics.csv")) {
    WriteLossCurves(out + "/loss_curves.png", run_dir + "/metrics.csv");
    add_image("loss_curves.png", "loss per image by epoch (metrics.csv)");
  }
  result.Set("images", images);
  result.Set("report", out + "/report.md");
  WriteFileAtomic(out + "/report.md", {report.str()});
  std::printf("%s\n", result.Dump(2).c_str());
  return 0;
}

}  // namespace latent

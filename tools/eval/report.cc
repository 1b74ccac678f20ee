#include "tools/eval/report.h"

#include <cstdio>
#include <sstream>

namespace latent {
namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A Markdown page assembled section by section.
class Markdown {
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
  void Image(const Picture& picture) {
    out_ << "![" << picture.caption << "](" << picture.file << ")\n\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

void TestSection(const EvalReport& r, Markdown& md) {
  md.Section("Test set");
  md.Line("Per test image" + std::string(r.binarized ? ", on binarized images" : "") + ".");
  md.Line();
  md.Header({"measure", "value"});
  md.Row("loss (the training objective)", Fixed(r.test.loss.loss, 3));
  for (const auto& [name, value] : r.test.loss.parts)
    md.Row("loss part `" + name + "`", Fixed(value, 3));
  md.Row("squared reconstruction error, summed over pixels", Fixed(r.test.squared_error, 3));
  if (r.iwae) {
    md.Row("negative log-likelihood, importance-weighted (k = " + std::to_string(r.iwae->k) + ", " +
               std::to_string(r.iwae->images) + " images)",
           Fixed(r.iwae->nll, 2) + " nats");
  }
  md.Line();
}

void PcaSection(const EvalReport& r, Markdown& md) {
  const std::string k = std::to_string(r.pca->components);
  md.Section("Dimensionality reduction: against PCA with " + k + " components");
  md.Header({"method", "squared error per test image"});
  md.Row(r.model_name + " (" + std::to_string(r.code_size) + "-d code)",
         Fixed(r.test.squared_error, 3));
  md.Row("PCA-" + k + " (fitted on the training images)", Fixed(r.pca->squared_error, 3));
  md.Row("ratio", Fixed(r.test.squared_error / r.pca->squared_error, 3));
}

void ProbeSection(const EvalReport& r, Markdown& md) {
  const auto percent = [](double accuracy) { return Fixed(100.0 * accuracy, 2) + " %"; };
  const std::string knn = std::to_string(r.knn_k) + "-NN";
  md.Section("Feature extraction: classifiers on each representation");
  std::vector<std::string> header = {"features"};
  if (r.probes) header.push_back("softmax classifier, test accuracy");
  if (r.knn) header.push_back(knn + " (Euclidean), test accuracy");
  md.Header(header);
  // One row per representation: the accuracy of each probe that ran.
  const auto row = [&](const std::string& name, double ProbeAccuracies::*field) {
    std::vector<std::string> cells = {name};
    if (r.probes) cells.push_back(percent((*r.probes).*field));
    if (r.knn) cells.push_back(percent((*r.knn).*field));
    md.Row(cells);
  };
  row(r.model_name + " codes (" + std::to_string(r.code_size) + "-d)", &ProbeAccuracies::codes);
  row("raw pixels (" + std::to_string(r.features) + "-d)", &ProbeAccuracies::pixels);
  const ProbeAccuracies& any = r.probes ? *r.probes : *r.knn;
  if (any.pca) {
    std::vector<std::string> cells = {"PCA codes (" + std::to_string(r.code_size) + "-d)"};
    if (r.probes) cells.push_back(percent(*r.probes->pca));
    if (r.knn) cells.push_back(percent(*r.knn->pca));
    md.Row(cells);
  }
}

void DenoisingSection(const EvalReport& r, Markdown& md) {
  md.Section("Denoising: PSNR against the clean test images");
  md.Header({"noise", "PSNR of the noisy input", "PSNR of the reconstruction"});
  for (const DenoisingResult& d : r.denoising) {
    md.Row({d.noise + " (" + Fixed(d.level, 2) + ")", Fixed(d.psnr_noisy, 2) + " dB",
            Fixed(d.psnr_output, 2) + " dB"});
  }
  md.Line();
  md.Image(r.denoising_figure);
}

void AnomalySection(const EvalReport& r, Markdown& md) {
  const AnomalyResult& a = *r.anomaly;
  md.Section(a.score.kind == AnomalyScore::kLikelihood
                 ? "Anomaly detection: one model per digit, scored by -log p(x) (k = " +
                       std::to_string(a.score.k) + ")"
                 : "Anomaly detection: one model per digit, scored by reconstruction error");
  md.Line("Each model trains " + std::to_string(a.epochs) +
          " epochs on one digit's training images; every other digit is an anomaly.");
  md.Line();
  md.Header({"normal digit", "AUROC"});
  for (const OneClassResult& d : a.per_digit)
    md.Row(std::to_string(d.normal_label), Fixed(d.auroc, 4));
  md.Row("mean", Fixed(a.mean_auroc, 4));
  md.Line();
  md.Image(r.roc_figure);
}

}  // namespace

std::string ReportMarkdown(const EvalReport& r) {
  Markdown md;
  md.Line("# Evaluation of `" + r.run_dir + "` (" + r.model_name + ")");
  md.Line();
  md.Line("Trained " + std::to_string(r.trained.epochs) + " epochs (batch " +
          std::to_string(r.trained.batch_size) + ", lr " + Json(r.trained.lr).Dump() +
          (r.trained.binarize ? ", dynamic binarization" : "") + "); " +
          std::to_string(r.test_images) + " test images from `" + r.data_dir + "`.");
  TestSection(r, md);
  if (r.pca) PcaSection(r, md);
  if (r.probes || r.knn) ProbeSection(r, md);
  DenoisingSection(r, md);
  if (r.anomaly) AnomalySection(r, md);
  md.Section("Pictures");
  for (const Picture& p : r.pictures) {
    md.Line("**" + p.caption + "**");
    md.Line();
    md.Image(p);
  }
  return md.str();
}

Json ReportJson(const EvalReport& r, const std::string& markdown_path) {
  Json result = Json::MakeObject();
  result.Set("run", r.run_dir);
  result.Set("model", r.model_name);
  result.Set("test_images", r.test_images);
  Json test = Json::MakeObject();
  test.Set("loss", r.test.loss.loss);
  for (const auto& [name, value] : r.test.loss.parts) test.Set(name, value);
  test.Set("squared_error", r.test.squared_error);
  test.Set("binarized", r.binarized);
  result.Set("test", test);
  if (r.iwae) {
    Json iwae = Json::MakeObject();
    iwae.Set("k", r.iwae->k);
    iwae.Set("images", r.iwae->images);
    iwae.Set("binarized", r.binarized);
    iwae.Set("nll", r.iwae->nll);
    result.Set("iwae", iwae);
  }
  if (r.pca) {
    Json pca = Json::MakeObject();
    pca.Set("components", r.pca->components);
    pca.Set("squared_error", r.pca->squared_error);
    pca.Set("autoencoder_over_pca", r.test.squared_error / r.pca->squared_error);
    result.Set("pca", pca);
  }
  if (r.probes) {
    Json probe = Json::MakeObject();
    probe.Set("codes", r.probes->codes);
    probe.Set("pixels", r.probes->pixels);
    if (r.probes->pca) probe.Set("pca", *r.probes->pca);
    result.Set("probe", probe);
  }
  if (r.knn) {
    Json knn = Json::MakeObject();
    knn.Set("k", r.knn_k);
    knn.Set("codes", r.knn->codes);
    knn.Set("pixels", r.knn->pixels);
    if (r.knn->pca) knn.Set("pca", *r.knn->pca);
    result.Set("knn", knn);
  }
  Json denoising = Json(Json::Array{});
  for (const DenoisingResult& d : r.denoising) {
    Json noise = Json::MakeObject();
    noise.Set("noise", d.noise);
    noise.Set("level", d.level);
    noise.Set("psnr_noisy", d.psnr_noisy);
    noise.Set("psnr_output", d.psnr_output);
    denoising.Push(noise);
  }
  result.Set("denoising", denoising);
  Json images = Json(Json::Array{r.denoising_figure.file});
  if (r.anomaly) {
    Json aurocs = Json(Json::Array{});
    for (const OneClassResult& d : r.anomaly->per_digit) aurocs.Push(d.auroc);
    Json anomaly = Json::MakeObject();
    anomaly.Set("epochs", r.anomaly->epochs);
    anomaly.Set("score", AnomalyScoreName(r.anomaly->score.kind));
    anomaly.Set("auroc", aurocs);
    anomaly.Set("mean_auroc", r.anomaly->mean_auroc);
    result.Set("anomaly", anomaly);
    images.Push(r.roc_figure.file);
  }
  for (const Picture& p : r.pictures) images.Push(p.file);
  result.Set("images", images);
  result.Set("report", markdown_path);
  return result;
}

}  // namespace latent

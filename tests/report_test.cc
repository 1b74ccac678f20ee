// The report writer of `latent eval` (tools/eval/report.h): given results, the Markdown page and
// the JSON summary are exactly these, with each optional section where its result is.
#include "tools/eval/report.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace latent {
namespace {

// An autoencoder's report with only the measures that always run.
EvalReport Minimal() {
  EvalReport r;
  r.run_dir = "runs/ae";
  r.model_name = "ae";
  r.data_dir = "data/mnist";
  r.trained.epochs = 3;
  r.trained.batch_size = 64;
  r.trained.lr = 0.002;
  r.code_size = 2;
  r.features = 784;
  r.test_images = 100;
  r.test.loss.loss = 12.3456;
  r.test.loss.parts["sqerr"] = 11.0;
  r.test.squared_error = 10.5;
  DenoisingResult noise;
  noise.noise = "gaussian";
  noise.level = 0.5;
  noise.psnr_noisy = 6.0;
  noise.psnr_output = 10.754;
  r.denoising = {noise};
  r.denoising_figure = {"denoising.png", "noisy and denoised"};
  r.pictures = {{"reconstructions.png", "test images and reconstructions"}};
  return r;
}

// Minimal() with every optional measure: a binarized VAE with all sections.
EvalReport Full() {
  EvalReport r = Minimal();
  r.model_name = "vae";
  r.trained.binarize = true;
  r.binarized = true;
  r.iwae = IwaeResult{50, 80, 95.126};
  PcaBaseline pca;
  pca.components = 2;
  pca.squared_error = 5.25;
  r.pca = pca;
  r.probes = ProbeAccuracies{0.25, 0.875, 0.5};
  r.knn = ProbeAccuracies{0.5, 0.9375, 0.625};
  r.knn_k = 5;
  AnomalyResult anomaly;
  anomaly.epochs = 4;
  anomaly.score.kind = AnomalyScore::kLikelihood;
  anomaly.score.k = 30;
  anomaly.per_digit = {{0, 0.5, {}}, {1, 1.0, {}}};
  anomaly.mean_auroc = 0.75;
  r.anomaly = anomaly;
  r.roc_figure = {"roc.png", "roc curves"};
  r.pictures.push_back({"samples.png", "prior samples"});
  return r;
}

TEST(Report, MarkdownOfTheMeasuresThatAlwaysRun) {
  EXPECT_EQ(ReportMarkdown(Minimal()), R"(# Evaluation of `runs/ae` (ae)

Trained 3 epochs (batch 64, lr 0.002); 100 test images from `data/mnist`.

## Test set

Per test image.

| measure | value |
| --- | --- |
| loss (the training objective) | 12.346 |
| loss part `sqerr` | 11.000 |
| squared reconstruction error, summed over pixels | 10.500 |


## Denoising: PSNR against the clean test images

| noise | PSNR of the noisy input | PSNR of the reconstruction |
| --- | --- | --- |
| gaussian (0.50) | 6.00 dB | 10.75 dB |

![noisy and denoised](denoising.png)


## Pictures

**test images and reconstructions**

![test images and reconstructions](reconstructions.png)

)");
}

TEST(Report, JsonOfTheMeasuresThatAlwaysRun) {
  EXPECT_EQ(ReportJson(Minimal(), "out/report.md").Dump(),
            R"({"run":"runs/ae","model":"ae","test_images":100,)"
            R"("test":{"loss":12.3456,"sqerr":11,"squared_error":10.5,"binarized":false},)"
            R"("denoising":[{"noise":"gaussian","level":0.5,"psnr_noisy":6,"psnr_output":10.754}],)"
            R"("images":["denoising.png","reconstructions.png"],"report":"out/report.md"})");
}

TEST(Report, MarkdownOfEveryMeasureInOrder) {
  const std::string md = ReportMarkdown(Full());
  const std::vector<std::string> in_order = {
      "Trained 3 epochs (batch 64, lr 0.002, dynamic binarization); 100 test images",
      "## Test set",
      "Per test image, on binarized images.",
      "| negative log-likelihood, importance-weighted (k = 50, 80 images) | 95.13 nats |\n\n\n",
      "## Dimensionality reduction: against PCA with 2 components",
      "| vae (2-d code) | 10.500 |\n| PCA-2 (fitted on the training images) | 5.250 |\n"
      "| ratio | 2.000 |\n",
      "## Feature extraction: classifiers on each representation\n\n"
      "| features | softmax classifier, test accuracy | 5-NN (Euclidean), test accuracy |\n"
      "| --- | --- | --- |\n",
      "| vae codes (2-d) | 25.00 % | 50.00 % |\n| raw pixels (784-d) | 87.50 % | 93.75 % |\n"
      "| PCA codes (2-d) | 50.00 % | 62.50 % |\n",
      "## Denoising",
      "![noisy and denoised](denoising.png)",
      "## Anomaly detection: one model per digit, scored by -log p(x) (k = 30)\n\n"
      "Each model trains 4 epochs on one digit's training images; every other digit is an "
      "anomaly.\n\n| normal digit | AUROC |\n| --- | --- |\n| 0 | 0.5000 |\n| 1 | 1.0000 |\n"
      "| mean | 0.7500 |\n\n![roc curves](roc.png)\n\n",
      "## Pictures",
      "![test images and reconstructions](reconstructions.png)",
      "**prior samples**\n\n![prior samples](samples.png)\n\n"};
  size_t at = 0;
  for (const std::string& part : in_order) {
    const size_t found = md.find(part, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << part << "\n" << md;
    at = found + part.size();
  }
  EXPECT_EQ(at, md.size());
  EvalReport recon = Full();
  recon.anomaly->score.kind = AnomalyScore::kReconstruction;
  EXPECT_NE(ReportMarkdown(recon).find(
                "## Anomaly detection: one model per digit, scored by reconstruction error\n"),
            std::string::npos);
  // Each probe's column only where it ran.
  EvalReport knn_only = Full();
  knn_only.probes.reset();
  EXPECT_NE(ReportMarkdown(knn_only).find("| features | 5-NN (Euclidean), test accuracy |\n"
                                          "| --- | --- |\n| vae codes (2-d) | 50.00 % |\n"),
            std::string::npos);
  EvalReport linear_only = Full();
  linear_only.knn.reset();
  EXPECT_NE(ReportMarkdown(linear_only).find("| features | softmax classifier, test accuracy |\n"
                                             "| --- | --- |\n| vae codes (2-d) | 25.00 % |\n"),
            std::string::npos);
  EvalReport neither = Full();
  neither.probes.reset();
  neither.knn.reset();
  EXPECT_EQ(ReportMarkdown(neither).find("Feature extraction"), std::string::npos);
}

TEST(Report, JsonOfEveryMeasure) {
  const Json j = ReportJson(Full(), "r.md");
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.AsObject()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"run", "model", "test_images", "test", "iwae", "pca",
                                            "probe", "knn", "denoising", "anomaly", "images",
                                            "report"}));
  EXPECT_EQ(j.At("iwae").Dump(), R"({"k":50,"images":80,"binarized":true,"nll":95.126})");
  EXPECT_EQ(j.At("pca").Dump(),
            R"({"components":2,"squared_error":5.25,"autoencoder_over_pca":2})");
  EXPECT_EQ(j.At("probe").Dump(), R"({"codes":0.25,"pixels":0.875,"pca":0.5})");
  EXPECT_EQ(j.At("knn").Dump(), R"({"k":5,"codes":0.5,"pixels":0.9375,"pca":0.625})");
  EXPECT_EQ(j.At("anomaly").Dump(),
            R"({"epochs":4,"score":"nll","auroc":[0.5,1],"mean_auroc":0.75})");
  EXPECT_EQ(j.At("images").Dump(),
            R"(["denoising.png","roc.png","reconstructions.png","samples.png"])");
  EXPECT_TRUE(j.At("test").At("binarized").AsBool());
  // A probe run without a PCA baseline has no PCA entry.
  EvalReport no_pca = Full();
  no_pca.pca.reset();
  no_pca.probes->pca.reset();
  no_pca.knn->pca.reset();
  EXPECT_EQ(ReportJson(no_pca, "r.md").At("probe").Dump(), R"({"codes":0.25,"pixels":0.875})");
  EXPECT_EQ(ReportJson(no_pca, "r.md").At("knn").Dump(), R"({"k":5,"codes":0.5,"pixels":0.9375})");
  EXPECT_FALSE(ReportJson(no_pca, "r.md").Contains("pca"));
  EXPECT_EQ(ReportMarkdown(no_pca).find("PCA"), std::string::npos);
}

}  // namespace
}  // namespace latent

// The one writer of `latent eval`'s report: the measures' results (each from its own function in
// tools/eval/) become report.md, a Markdown page with the pictures beside it, and the JSON object
// the command prints. Nothing here measures or draws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/io/json.h"
#include "models/train/trainer.h"
#include "tools/eval/anomaly.h"
#include "tools/eval/denoising.h"
#include "tools/eval/iwae.h"
#include "tools/eval/pca_baseline.h"
#include "tools/eval/probes.h"
#include "tools/eval/test_set.h"

namespace latent {

// A picture beside the report: its file name in the report's directory, and what it shows.
struct Picture {
  std::string file;
  std::string caption;
};

// What `latent eval` found on one run. Optional measures that were skipped are left empty.
struct EvalReport {
  // What was evaluated.
  std::string run_dir, model_name, data_dir;
  TrainOptions trained;  // the run's training options, as recorded
  int64_t code_size = 0, features = 0, test_images = 0;
  bool binarized = false;  // the loss and the likelihood are of binarized test images

  TestSetResult test;
  std::optional<IwaeResult> iwae;  // VAEs
  std::optional<PcaBaseline> pca;
  std::optional<ProbeAccuracies> probes;  // linear
  std::optional<ProbeAccuracies> knn;     // k-NN, with k = knn_k
  int64_t knn_k = 0;
  std::vector<DenoisingResult> denoising;
  Picture denoising_figure;
  std::optional<AnomalyResult> anomaly;
  Picture roc_figure;             // with `anomaly`
  std::vector<Picture> pictures;  // the closing section, in order
};

// report.md.
std::string ReportMarkdown(const EvalReport& report);
// The printed summary: every number of the report, the pictures in the order the page shows
// them, and the path of the Markdown file.
Json ReportJson(const EvalReport& report, const std::string& markdown_path);

}  // namespace latent

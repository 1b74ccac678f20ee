// The run configurations that docs/results.md reproduces its results from (`latent train --config
// docs/configs/NAME.json`): each must stay readable by the current code, build its model, and
// describe the run the docs say it does.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "core/io/json.h"
#include "models/model.h"
#include "models/train/run_dir.h"

namespace latent {
namespace {

std::filesystem::path ConfigDir() {
  const char* root = std::getenv("LATENT_SOURCE_DIR");
  return std::filesystem::path(root ? root : LATENT_SOURCE_DIR) / "docs" / "configs";
}

Json ReadConfig(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return Json::Parse(text.str());
}

TEST(DocConfigs, EveryConfigBuildsItsModelAndTrainingOptions) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ConfigDir())) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    const Json config = ReadConfig(entry.path());
    ModelShape shape;
    const std::unique_ptr<Model> model = ModelFromConfig(config, &shape);
    EXPECT_GT(model->params().count(), 0);
    const TrainOptions options = TrainOptionsFromConfig(config);
    EXPECT_GT(options.epochs, 0);
    // The test set is never used to choose anything: each documented run holds out a validation
    // set, and trains and tests on the whole data set.
    EXPECT_EQ(options.val_size, 5000);
    EXPECT_EQ(options.train_limit, 0);
    EXPECT_EQ(options.test_limit, 0);
    ++count;
  }
  EXPECT_GE(count, 4) << "docs/configs lost its files";
}

// What docs/results.md says of each run.
TEST(DocConfigs, TheLikelihoodRunsAreTheDocumentedOnes) {
  const std::map<std::string, std::pair<std::string, int>> runs = {
      {"vae-nll.json", {"vae", 500}},
      {"vae-nll-1000.json", {"vae", 1000}},
      {"iwae-nll.json", {"iwae", 160}},
      {"vamp-vae-nll.json", {"vamp-vae", 200}}};
  for (const auto& [file, want] : runs) {
    SCOPED_TRACE(file);
    const Json config = ReadConfig(ConfigDir() / file);
    EXPECT_EQ(config.At("model").AsString(), want.first);
    const TrainOptions options = TrainOptionsFromConfig(config);
    EXPECT_EQ(options.epochs, want.second);
    EXPECT_TRUE(options.binarize);  // dynamically binarized MNIST, as the likelihoods are reported
  }
}

}  // namespace
}  // namespace latent

// Loading a checkpoint into a model (Parameters::FromArrays, through LoadRun as `latent sample`
// and `latent eval` do): a file whose values are not finite, or that holds tensors the model does
// not have, is an error naming the tensor and the file, and leaves the model as it was.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "models/model.h"
#include "models/train/run_dir.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;

class CheckpointTest : public ::testing::Test {
 protected:
  // A run directory of a small VAE (4x4 images, 3 hidden units, a 2-D code): config.json and
  // model.safetensors as SaveCheckpoint writes them.
  void SetUp() override {
    const ModelInfo& info = FindModel("vae");
    HyperParams values(info.hyperparams);
    values.Set("hidden", "3");
    values.Set("latent-dim", "2");
    const ModelShape shape{4, 4, 10};
    model_ = info.create(values, shape);
    model_->params().Allocate(Device::Cpu(), 5);
    Trainer trainer(*model_, TrainOptions());
    SaveCheckpoint(scratch_.dir(), RunConfig(info, values, shape, TrainOptions(), "data"), trainer);
  }

  // Rewrites model.safetensors with `arrays`; returns its path.
  std::string Rewrite(const std::vector<NamedArray>& arrays) {
    WriteSafetensors(weights_, arrays);
    return weights_;
  }

  testing::ScratchDir scratch_{"checkpoint_test"};
  const std::string weights_ = scratch_.Path("model.safetensors");
  std::unique_ptr<Model> model_;
};

TEST_F(CheckpointTest, TheSavedRunLoads) {
  const LoadedRun run = LoadRun(scratch_.dir(), Device::Cpu());
  EXPECT_EQ(run.model->params().flat_values().ToVector<float>(),
            model_->params().flat_values().ToVector<float>());
}

TEST_F(CheckpointTest, NonFiniteValuesAreRejectedNamingTheTensorAndTheFile) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const float bad : {nan, inf, -inf}) {
    std::vector<NamedArray> arrays = model_->params().ToArrays();
    ASSERT_EQ(arrays[1].name, "encoder.fc1.bias");
    arrays[1].values[2] = bad;
    const std::string path = Rewrite(arrays);
    ExpectErrorContaining([&] { LoadRun(scratch_.dir(), Device::Cpu()); },
                          {path, "parameter 'encoder.fc1.bias' holds ", " at index 2 of its 3 values",
                           "expected finite values"});
  }
  // A file full of NaN, as a diverged run would leave.
  std::vector<NamedArray> arrays = model_->params().ToArrays();
  for (NamedArray& a : arrays) a.values.assign(a.values.size(), nan);
  const std::string path = Rewrite(arrays);
  ExpectErrorContaining([&] { LoadRun(scratch_.dir(), Device::Cpu()); },
                        {path, "parameter 'encoder.fc1.weight' holds nan at index 0"});
}

TEST_F(CheckpointTest, TensorsTheModelDoesNotHaveAreRejected) {
  std::vector<NamedArray> arrays = model_->params().ToArrays();
  arrays.push_back({"encoder.fc3.weight", {2}, {0.5f, 0.25f}});
  const std::string path = Rewrite(arrays);
  ExpectErrorContaining([&] { LoadRun(scratch_.dir(), Device::Cpu()); },
                        {path, "tensor 'encoder.fc3.weight' is not a parameter of this model",
                         "expected only its 10 parameters: encoder.fc1.weight, "});
}

// FromArrays checks the whole file before it copies anything: a model keeps its values when a
// later tensor is rejected.
TEST_F(CheckpointTest, ARejectedFileLeavesTheModelAsItWas) {
  const std::vector<float> before = model_->params().flat_values().ToVector<float>();
  std::vector<NamedArray> arrays = model_->params().ToArrays();
  for (NamedArray& a : arrays) a.values.assign(a.values.size(), 0.125f);
  arrays.back().values.back() = std::numeric_limits<float>::quiet_NaN();
  ExpectErrorContaining([&] { model_->params().FromArrays(arrays, "the test's arrays"); },
                        {"the test's arrays: parameter '" + arrays.back().name + "' holds nan"});
  EXPECT_EQ(model_->params().flat_values().ToVector<float>(), before);
}

}  // namespace
}  // namespace latent

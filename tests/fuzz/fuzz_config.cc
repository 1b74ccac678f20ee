// Fuzzes the reading of a run's config.json (models/train/run_dir.h): Json::Parse, then
// ModelFromConfig, which finds the model, reads its hyperparameters and builds it, and
// TrainOptionsFromConfig. `latent sample` and `latent eval` take this path from a file on disk.
//
// Building a model only declares its parameters; the harness allocates them too when they are few
// (under kMaxAllocated), so that initialization runs without letting a config that asks for
// gigabytes turn each execution into a memory test. A config that asks for more than the memory
// limit (-malloc_limit_mb) at allocation or before is reported by libFuzzer as a crash.
#include <cstdint>
#include <memory>
#include <string>

#include "core/device.h"
#include "core/io/json.h"
#include "kernels/error.h"
#include "models/model.h"
#include "models/train/run_dir.h"

namespace {

constexpr int64_t kMaxAllocated = 2'000'000;  // parameters; the default vae has 652,824

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  latent::Json config;
  try {
    config = latent::Json::Parse(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const latent::Error&) {
    return 0;  // the expected outcome for bad bytes: a clear error
  }
  // The model and the training options are read independently, as LoadRun reads both: an error in
  // one must not hide the other from the fuzzer.
  try {
    latent::ModelShape shape;
    std::unique_ptr<latent::Model> model = latent::ModelFromConfig(config, &shape);
    if (model->params().count() < kMaxAllocated)
      model->params().Allocate(latent::Device::Cpu(), /*seed=*/1);
  } catch (const latent::Error&) {
  }
  try {
    latent::TrainOptionsFromConfig(config);
  } catch (const latent::Error&) {
  }
  return 0;
}

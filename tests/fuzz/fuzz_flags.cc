// Fuzzes the command line of `latent train`: the flag parser (tools/cli/flags.h) with the
// command's own flags and one registered model's hyperparameters, the typed reads of every value,
// and the model built from the values, as `latent train --model NAME ...` builds it.
//
// Input: the first byte picks the model (its index in ModelRegistry(), modulo the registry's
// size); the rest is the argument list, one word per line ('\n' cannot be typed inside a word
// without quoting, so it is the natural separator, and the seed files read as flag lines).
//
// Building a model only declares its parameters; the harness allocates them too when they are few
// (under kMaxAllocated), so that initialization runs without letting flags that ask for gigabytes
// turn each execution into a memory test.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "kernels/error.h"
#include "models/model.h"
#include "tools/cli/common.h"
#include "tools/cli/flags.h"
#include "tools/cli/train_flags.h"

namespace {

constexpr int64_t kMaxAllocated = 2'000'000;  // parameters; the default vae has 652,824

std::vector<std::string> SplitLines(const uint8_t* data, size_t size) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      words.emplace_back();
    } else {
      words.back() += static_cast<char>(data[i]);
    }
  }
  if (words.back().empty()) words.pop_back();  // a final newline ends the last word
  return words;
}

// Runs `read`, which may reject its input with latent::Error and nothing else.
template <typename F>
void Read(F read) {
  try {
    read();
  } catch (const latent::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::vector<latent::ModelInfo>& registry = latent::ModelRegistry();
  const latent::ModelInfo& info = registry[data[0] % registry.size()];
  const std::vector<std::string> args = SplitLines(data + 1, size - 1);

  // What `latent train` reads before it parses: --model picks the hyperparameters to declare.
  Read([&] { latent::FindModel(latent::PeekFlag(args, "model", "vae")); });

  latent::Flags flags("train", latent::TrainFlags());
  flags.Add(info.hyperparams);
  try {
    flags.Parse(args);
  } catch (const latent::Error&) {
    return 0;  // the expected outcome for a bad command line: a clear error
  }

  // The command's parsers of single flags, then every typed read of every flag, each independent
  // of the others so that one rejected value does not hide the rest from the fuzzer.
  Read([&] {
    latent::TrainOptions options;
    latent::ParseProfileSteps(flags.Get("profile-steps"), options);
  });
  Read([&] { latent::Device::Parse(flags.Get("device")); });
  for (const latent::FlagSpec& spec : flags.specs()) {
    Read([&] { flags.GetInt(spec.name, INT64_MIN, INT64_MAX); });
    Read([&] {
      flags.GetDouble(spec.name, std::numeric_limits<double>::lowest(),
                      std::numeric_limits<double>::max());
    });
    Read([&] { flags.GetBool(spec.name); });
  }

  Read([&] {
    std::unique_ptr<latent::Model> model =
        info.create(latent::ModelValues(info, flags), latent::ModelShape{});
    if (model->params().count() < kMaxAllocated)
      model->params().Allocate(latent::Device::Cpu(), /*seed=*/1);
  });
  return 0;
}

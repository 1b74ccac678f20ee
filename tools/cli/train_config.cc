#include "tools/cli/train_config.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "core/io/file_util.h"
#include "core/io/json.h"
#include "kernels/error.h"
#include "models/train/run_dir.h"

namespace latent {
namespace {

// The one "train" key whose flag is not its name with '-' for '_'.
const std::map<std::string, std::string> kRenamedTrainKeys = {{"warmup_steps", "lr-warmup-steps"}};

// "train" keys that RunConfig leaves out when the option is off (so that such a run's config.json
// is the one written before the option existed), with the value their absence means where the
// flag's default differs: a run recorded without "val_size" held out no validation images.
const std::map<std::string, std::string> kAbsentTrainKeys = {{"val_size", "0"}};

// "data" keys and their flags; "" for the image shape and classes, which the data set itself
// gives (ReadTrainConfig checks them through ModelFromConfig, but no flag sets them).
const std::map<std::string, std::string> kDataKeys = {{"dir", "data"},
                                                      {"train_limit", "train-limit"},
                                                      {"test_limit", "test-limit"},
                                                      {"height", ""},
                                                      {"width", ""},
                                                      {"num_classes", ""}};

const char* TypeName(Json::Type type) {
  switch (type) {
    case Json::Type::kNull: return "null";
    case Json::Type::kBool: return "a boolean";
    case Json::Type::kNumber: return "a number";
    case Json::Type::kString: return "a string";
    case Json::Type::kArray: return "an array";
    case Json::Type::kObject: return "an object";
  }
  return "?";
}

// The JSON type that records the flag `spec`, told by its default as RunConfig writes it: a switch
// (true/false) is a boolean, a number a number, anything else a string.
Json::Type RecordedType(const FlagSpec& spec) {
  if (spec.default_value == "true" || spec.default_value == "false") return Json::Type::kBool;
  char* end = nullptr;
  std::strtod(spec.default_value.c_str(), &end);
  const bool number = !spec.default_value.empty() && *end == '\0';
  return number ? Json::Type::kNumber : Json::Type::kString;
}

// The JSON value `where` of the flag `spec` as the flag's text: numbers in the shortest form that
// reads back the same (integers without an exponent, which integer flags require), booleans as
// true/false.
std::string FlagText(const std::string& where, const FlagSpec& spec, const Json& value) {
  const Json::Type expected = RecordedType(spec);
  LATENT_CHECK(value.type() == expected, where, ": expected ", TypeName(expected), " (for --",
               spec.name, "), found ", TypeName(value.type()));
  if (expected == Json::Type::kString) return value.AsString();
  if (expected == Json::Type::kBool) return value.AsBool() ? "true" : "false";
  const double v = value.AsNumber();
  if (v == std::floor(v) && std::fabs(v) <= 9007199254740992.0)  // 2^53: exact integers
    return std::to_string(static_cast<long long>(v));
  return HyperParamText(v);
}

// The spec of the flag `name` in `specs`, or null.
const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const FlagSpec& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace

TrainConfigFile ReadTrainConfig(const std::string& path, const std::vector<FlagSpec>& train_flags) {
  TrainConfigFile file;
  file.path = path;
  try {
    const Json config = Json::Parse(ReadFileBytes(path));
    for (const auto& [key, value] : config.AsObject()) {
      LATENT_CHECK(key == "model" || key == "model_flags" || key == "train" || key == "data",
                   "unknown key \"", key, "\"; expected model, model_flags, train and data, as "
                   "`latent train` writes them");
    }
    file.model = config.At("model").AsString();
    // Their names are checked by ModelFromConfig below, against the model's.
    for (const auto& [name, value] : config.At("model_flags").AsObject()) {
      LATENT_CHECK(value.type() == Json::Type::kString, "\"model_flags\".\"", name,
                   "\": expected a string, found ", TypeName(value.type()));
      file.flags.emplace_back(name, value.AsString());
    }
    for (const auto& [key, value] : config.At("train").AsObject()) {
      std::string flag = key;
      for (char& c : flag) c = c == '_' ? '-' : c;
      if (kRenamedTrainKeys.count(key)) flag = kRenamedTrainKeys.at(key);
      const FlagSpec* spec = FindSpec(train_flags, flag);
      LATENT_CHECK(spec, "unknown key \"train\".\"", key, "\": no flag --", flag,
                   " of `latent train` takes it");
      file.flags.emplace_back(flag, FlagText("\"train\".\"" + key + "\"", *spec, value));
    }
    for (const auto& [key, value] : kAbsentTrainKeys) {
      std::string flag = key;
      for (char& c : flag) c = c == '_' ? '-' : c;
      if (!config.At("train").Contains(key)) file.flags.emplace_back(flag, value);
    }
    for (const auto& [key, value] : config.At("data").AsObject()) {
      const auto known = kDataKeys.find(key);
      LATENT_CHECK(known != kDataKeys.end(), "unknown key \"data\".\"", key,
                   "\"; expected dir, train_limit, test_limit, height, width and num_classes");
      if (known->second.empty()) continue;
      const FlagSpec* spec = FindSpec(train_flags, known->second);
      LATENT_CHECK(spec, "--", known->second, " is not a flag of `latent train`");
      file.flags.emplace_back(known->second,
                              FlagText("\"data\".\"" + key + "\"", *spec, value));
    }
    // After the keys, so that a misspelt key is reported as such rather than as a missing one.
    // The model and its hyperparameters: an undeclared one, or a value out of range, throws
    // naming it; the image shape is checked here too.
    ModelShape shape;
    ModelFromConfig(config, &shape);
    TrainOptionsFromConfig(config);  // the recorded values' ranges, as --resume checks them
  } catch (const Error& e) {
    LATENT_FAIL("--config ", path, ": ", e.what());
  }
  return file;
}

void ApplyTrainConfig(const TrainConfigFile& file, Flags& flags) {
  LATENT_CHECK(!flags.IsSet("model") || flags.Get("model") == file.model, "--model ",
               flags.Get("model"), " differs from the model of --config ", file.path, " (",
               file.model, "); leave --model out to retrain that run");
  flags.Set("model", file.model);
  for (const auto& [name, value] : file.flags)
    if (!flags.IsSet(name)) flags.Set(name, value);
}

}  // namespace latent

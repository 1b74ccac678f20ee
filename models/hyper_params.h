// A model's hyperparameters as text, the form in which `latent train --NAME VALUE` and a run's
// config.json ("model_flags") give them, and the typed, range-checked reads that turn them into a
// model's configuration (each configuration's FromValues, models/configs.h).
//
// The reads live here, below the CLI, so that a value is checked with the same words whichever of
// the two it came from; the CLI's flags (tools/cli/flags.h) parse their own values with them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace latent {

// One hyperparameter as `latent models` and `latent train --help` list it.
struct HyperParamSpec {
  std::string name;           // without the leading dashes: "latent-dim"
  std::string default_value;  // "" for none
  std::string help;
};

// One value of a hyperparameter that takes a word: the word and what it means.
template <typename T>
struct Choice {
  const char* name;
  T value;
};

// Typed reads of one text value of the hyperparameter (or flag) `name`, which every error names:
// "--latent-dim expects an integer in [1, 65536], found '0'".
int64_t ParseInt(const std::string& name, const std::string& text, int64_t min, int64_t max);
double ParseDouble(const std::string& name, const std::string& text, double min, double max);
// The index of `text` in `names`: "--noise expects one of gaussian, mask; found 'x'" otherwise.
size_t ParseChoice(const std::string& name, const std::string& text,
                   const std::vector<std::string>& names);

// The text of a default value, as a hyperparameter's spec shows it: the shortest text that reads
// back as the same number (0.05, not 0.050000000000000003), so a config's member initializer is the
// one place its default is written.
std::string HyperParamText(int64_t value);
std::string HyperParamText(double value);
template <typename T>
std::string HyperParamText(T value, const std::vector<Choice<T>>& choices) {
  for (const Choice<T>& c : choices)
    if (c.value == value) return c.name;
  return "";
}

// The values of the hyperparameters that `specs` declares, each at its default until Set.
class HyperParams {
 public:
  explicit HyperParams(std::vector<HyperParamSpec> specs);

  // Throws latent::Error, listing the declared names, when `name` is not one of them.
  void Set(const std::string& name, const std::string& value);
  bool Has(const std::string& name) const;    // declared
  bool IsSet(const std::string& name) const;  // given a value by Set
  const std::string& Get(const std::string& name) const;

  int64_t GetInt(const std::string& name, int64_t min, int64_t max) const {
    return ParseInt(name, Get(name), min, max);
  }
  double GetDouble(const std::string& name, double min, double max) const {
    return ParseDouble(name, Get(name), min, max);
  }
  template <typename T>
  T GetChoice(const std::string& name, const std::vector<Choice<T>>& choices) const {
    std::vector<std::string> names;
    for (const Choice<T>& c : choices) names.push_back(c.name);
    return choices[ParseChoice(name, Get(name), names)].value;
  }

  const std::vector<HyperParamSpec>& specs() const { return specs_; }

 private:
  size_t Index(const std::string& name) const;

  std::vector<HyperParamSpec> specs_;
  std::vector<std::string> values_;
  std::vector<bool> set_;
};

}  // namespace latent

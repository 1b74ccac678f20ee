#include "models/hyper_params.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "kernels/error.h"

namespace latent {

int64_t ParseInt(const std::string& name, const std::string& text, int64_t min, int64_t max) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  LATENT_CHECK(!text.empty() && *end == '\0' && errno == 0 && v >= min && v <= max, "--", name,
               " expects an integer in [", min, ", ", max, "], found '", text, "'");
  return v;
}

double ParseDouble(const std::string& name, const std::string& text, double min, double max) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  LATENT_CHECK(!text.empty() && *end == '\0' && std::isfinite(v) && v >= min && v <= max, "--",
               name, " expects a number in [", min, ", ", max, "], found '", text, "'");
  return v;
}

size_t ParseChoice(const std::string& name, const std::string& text,
                   const std::vector<std::string>& names) {
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) return i;
    list += (list.empty() ? "" : ", ") + names[i];
  }
  LATENT_FAIL("--", name, " expects one of ", list, "; found '", text, "'");
}

std::string HyperParamText(int64_t value) { return std::to_string(value); }

std::string HyperParamText(double value) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {  // 17 significant digits read back any double
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

HyperParams::HyperParams(std::vector<HyperParamSpec> specs) : specs_(std::move(specs)) {
  for (const HyperParamSpec& s : specs_) values_.push_back(s.default_value);
  set_.assign(specs_.size(), false);
}

size_t HyperParams::Index(const std::string& name) const {
  std::string known;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return i;
    known += " --" + specs_[i].name;
  }
  LATENT_FAIL("unknown hyperparameter --", name, "; known:", known.empty() ? " none" : known);
}

void HyperParams::Set(const std::string& name, const std::string& value) {
  const size_t i = Index(name);
  values_[i] = value;
  set_[i] = true;
}

bool HyperParams::Has(const std::string& name) const {
  for (const HyperParamSpec& s : specs_)
    if (s.name == name) return true;
  return false;
}

bool HyperParams::IsSet(const std::string& name) const { return set_[Index(name)]; }

const std::string& HyperParams::Get(const std::string& name) const { return values_[Index(name)]; }

}  // namespace latent

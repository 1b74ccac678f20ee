#include "tools/cli/flags.h"

#include "kernels/error.h"

namespace latent {

Flags::Flags(std::string command, std::vector<FlagSpec> specs) : command_(std::move(command)) {
  Add(specs);
}

void Flags::Add(const std::vector<FlagSpec>& specs) {
  for (const FlagSpec& s : specs) {
    LATENT_CHECK(!Has(s.name), "flag --", s.name, " declared twice for '", command_, "'");
    specs_.push_back(s);
    values_.push_back(s.default_value);
    set_.push_back(false);
    switch_.push_back(s.default_value == "true" || s.default_value == "false");
  }
}

void Flags::DeclareSwitch(const std::string& name) { switch_[&Find(name) - specs_.data()] = true; }

bool Flags::Has(const std::string& name) const {
  for (const FlagSpec& s : specs_)
    if (s.name == name) return true;
  return false;
}

const FlagSpec& Flags::Find(const std::string& name) const {
  for (const FlagSpec& s : specs_)
    if (s.name == name) return s;
  std::string known;
  for (const FlagSpec& s : specs_) known += " --" + s.name;
  LATENT_FAIL("unknown flag --", name, " for '", command_, "'; known flags:", known);
}

void Flags::Parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    LATENT_CHECK(arg.size() > 2 && arg.compare(0, 2, "--") == 0, "'", command_,
                 "' takes flags of the form --name value; found the argument '", arg, "'");
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      Find(name);
    } else {
      // A switch given alone means true: --binarize.
      const bool is_switch = switch_[&Find(name) - specs_.data()];
      const bool value_follows = i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0;
      if (is_switch && !value_follows) {
        value = "true";
      } else {
        LATENT_CHECK(value_follows, "flag --", name, " expects a value",
                     i + 1 < args.size() ? "; found the flag " + args[i + 1] : std::string());
        value = args[++i];
      }
    }
    Set(name, value);
  }
}

void Flags::Set(const std::string& name, const std::string& value) {
  const FlagSpec& spec = Find(name);
  const size_t index = &spec - specs_.data();
  values_[index] = value;
  set_[index] = true;
}

bool Flags::IsSet(const std::string& name) const { return set_[&Find(name) - specs_.data()]; }

const std::string& Flags::Get(const std::string& name) const {
  return values_[&Find(name) - specs_.data()];
}

int64_t Flags::GetInt(const std::string& name, int64_t min, int64_t max) const {
  return ParseInt(name, Get(name), min, max);
}

double Flags::GetDouble(const std::string& name, double min, double max) const {
  return ParseDouble(name, Get(name), min, max);
}

bool Flags::GetBool(const std::string& name) const {
  const std::string& v = Get(name);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  LATENT_FAIL("--", name, " expects true or false, found '", v, "'");
}

const std::string& Flags::GetChoice(const std::string& name,
                                    const std::vector<std::string>& choices) const {
  ParseChoice(name, Get(name), choices);
  return Get(name);
}

std::string Flags::Usage() const {
  std::string out = "usage: latent " + command_ + " [flags]\n\nflags:\n";
  for (const FlagSpec& s : specs_) {
    std::string left = "  --" + s.name;
    if (left.size() < 24) left.resize(24, ' ');
    out += left + " " + s.help;
    if (!s.default_value.empty()) out += " (default: " + s.default_value + ")";
    out += "\n";
  }
  return out + "  --help                 this message\n";
}

}  // namespace latent

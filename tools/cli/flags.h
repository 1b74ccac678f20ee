// Command-line flags: each command declares the flags it accepts (name, default, help), and
// parsing rejects anything else with a message that names the flag and lists the known ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/hyper_params.h"

namespace latent {

// A flag's name (without the leading dashes), default ("" for none) and help: the record of a
// model's hyperparameter too, so that a model's hyperparameters are flags of the commands that
// build it.
using FlagSpec = HyperParamSpec;

class Flags {
 public:
  Flags(std::string command, std::vector<FlagSpec> specs);
  void Add(const std::vector<FlagSpec>& specs);

  // Makes `name` a switch although its default is neither "true" nor "false": a flag such as
  // eval's --binarize, whose default "" leaves the choice to the run being evaluated.
  void DeclareSwitch(const std::string& name);

  // Accepts "--name value" and "--name=value", and a switch (default "true" or "false", or
  // declared by DeclareSwitch) alone, "--name", for true; "--help"/"-h" sets help(). Throws
  // latent::Error on an unknown flag, a missing value or a positional argument.
  void Parse(const std::vector<std::string>& args);
  bool help() const { return help_; }
  std::string Usage() const;

  bool Has(const std::string& name) const;  // declared
  bool IsSet(const std::string& name) const;  // given on the command line
  const std::string& Get(const std::string& name) const;
  void Set(const std::string& name, const std::string& value);
  // Typed reads, validated as a model's hyperparameters are (models/hyper_params.h):
  // "--epochs expects an integer in [1, 1000000], found 'x'".
  int64_t GetInt(const std::string& name, int64_t min, int64_t max) const;
  double GetDouble(const std::string& name, double min, double max) const;
  bool GetBool(const std::string& name) const;  // true/false/1/0/yes/no
  // Checks `value` is one of `choices`.
  const std::string& GetChoice(const std::string& name,
                               const std::vector<std::string>& choices) const;
  const std::vector<FlagSpec>& specs() const { return specs_; }
  const std::string& command() const { return command_; }

 private:
  const FlagSpec& Find(const std::string& name) const;
  std::string command_;
  std::vector<FlagSpec> specs_;
  std::vector<std::string> values_;
  std::vector<bool> set_;
  std::vector<bool> switch_;  // given alone, means true
  bool help_ = false;
};

}  // namespace latent

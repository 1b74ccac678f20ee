// latent: train, sample, benchmark and inspect autoencoders.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include "kernels/error.h"
#include "tools/cli/commands.h"

namespace {

// The usage text, from the command table.
std::string Usage() {
  std::string usage =
      "usage: latent COMMAND [flags]   (latent COMMAND --help for its flags)\n\ncommands:\n";
  for (const latent::Command& command : latent::kCommands) {
    std::string name = command.name;
    name.resize(std::max<size_t>(name.size(), 11), ' ');  // the helps in one column
    usage += "  " + name + "  " + command.help + "\n";
  }
  return usage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(Usage().c_str(), stderr);
    return 2;
  }
  const std::string name = argv[1];
  const latent::Args args(argv + 2, argv + argc);
  if (name == "--help" || name == "-h" || name == "help") {
    std::fputs(Usage().c_str(), stdout);
    return 0;
  }
  for (const latent::Command& command : latent::kCommands) {
    if (name != command.name) continue;
    try {
      return command.run(args);
    } catch (const latent::Error& e) {
      std::fprintf(stderr, "latent %s: error: %s\n", command.name, e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "latent %s: internal error: %s\n", command.name, e.what());
      return 3;
    }
  }
  std::fprintf(stderr, "latent: unknown command '%s'\n\n%s", name.c_str(), Usage().c_str());
  return 2;
}

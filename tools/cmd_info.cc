// latent models / latent ops: what the registry and the op table hold.
#include <cstdio>

#include "core/flags.h"
#include "core/op_table.h"
#include "models/model.h"
#include "tools/commands.h"
#include "tools/common.h"

namespace latent {

int RunModels(const Args& args) {
  Flags flags("models", {});
  if (ParseOrPrintHelp(flags, args)) return 0;
  for (const ModelInfo& m : ModelRegistry()) {
    std::printf("%-18s %s\n", m.name.c_str(), m.description.c_str());
    for (const FlagSpec& f : m.flags)
      std::printf("%-18s   --%s (default %s): %s\n", "", f.name.c_str(), f.default_value.c_str(),
                  f.help.c_str());
  }
  return 0;
}

int RunOps(const Args& args) {
  Flags flags("ops", {});
  if (ParseOrPrintHelp(flags, args)) return 0;
  std::fputs(OpTableMarkdown().c_str(), stdout);
  return 0;
}

}  // namespace latent

// Helpers shared by the tests.
#pragma once

#include <cstdlib>
#include <string>

#include "core/flags.h"
#include "models/model.h"

namespace latent::testing {

// The MNIST directory fetched by tools/fetch_data.sh, or "" when it is not there.
inline std::string MnistDir() {
  const char* root = std::getenv("LATENT_SOURCE_DIR");
  std::string dir = std::string(root ? root : LATENT_SOURCE_DIR) + "/data/mnist";
  const std::string probe = dir + "/t10k-labels-idx1-ubyte";
  if (std::FILE* f = std::fopen(probe.c_str(), "rb")) {
    std::fclose(f);
    return dir;
  }
  return "";
}

// A registered model built with its default flags, overridden by `overrides` ("name=value").
inline std::unique_ptr<Model> MakeModel(const std::string& name, const ModelShape& shape,
                                        const std::vector<std::string>& overrides = {}) {
  const ModelInfo& info = FindModel(name);
  Flags flags(name, info.flags);
  for (const std::string& o : overrides) {
    const size_t eq = o.find('=');
    flags.Set(o.substr(0, eq), o.substr(eq + 1));
  }
  return info.create(flags, shape);
}

}  // namespace latent::testing

// Helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/random.h"
#include "kernels/error.h"
#include "models/hyper_params.h"
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

// An f64 CPU leaf that requires a gradient, for small autograd checks.
inline Tensor Leaf(const std::vector<double>& values, const Shape& shape) {
  Tensor t = Tensor::FromVector(values, shape);
  t.SetRequiresGrad(true);
  return t;
}

// Standard normal numbers from a Philox stream, as doubles: reproducible random matrices and data
// for the numerical tests (eigensolver, PCA).
inline std::vector<double> Normals(int64_t count, uint64_t seed) {
  return RandomNormal({count}, seed, 0, DType::kF64).ToVector<double>();
}

// A registered model built with its default hyperparameters, overridden by `overrides`
// ("name=value").
inline std::unique_ptr<Model> MakeModel(const std::string& name, const ModelShape& shape,
                                        const std::vector<std::string>& overrides = {}) {
  const ModelInfo& info = FindModel(name);
  HyperParams values(info.hyperparams);
  for (const std::string& o : overrides) {
    const size_t eq = o.find('=');
    values.Set(o.substr(0, eq), o.substr(eq + 1));
  }
  return info.create(values, shape);
}

// Calls `fn`, which must throw latent::Error whose message contains every one of `parts`.
inline void ExpectErrorContaining(const std::function<void()>& fn,
                                  std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected latent::Error, nothing was thrown";
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const std::string& part : parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "message lacks \"" << part << "\": " << message;
  }
}

// A fresh directory under the test temp dir, removed with its contents when this goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    std::string pattern = ::testing::TempDir() + "latent_" + tag + "_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    dir_ = pattern;
  }
  ~ScratchDir() { std::filesystem::remove_all(dir_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

 private:
  std::string dir_;
};

}  // namespace latent::testing

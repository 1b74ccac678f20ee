// Fuzzes ReadSafetensors (core/io/safetensors.h), and checks the round trip of what it accepts:
// writing the arrays and metadata it returned and reading them back must give the same names,
// shapes, bytes and metadata. A checkpoint that reads but does not survive a save is a bug, so a
// failed round trip aborts, whatever the reason, a latent::Error included.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "kernels/error.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool SameArrays(const std::vector<latent::NamedArray>& a,
                const std::vector<latent::NamedArray>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].shape != b[i].shape ||
        a[i].values.size() != b[i].values.size())
      return false;
    // Bytes, not float ==, so that NaN payloads must survive too; an empty tensor's data() may be
    // null, which memcmp must not be given.
    const size_t bytes = a[i].values.size() * sizeof(float);
    if (bytes > 0 && std::memcmp(a[i].values.data(), b[i].values.data(), bytes) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = latent::fuzz::ScratchPath("input.safetensors");
  static const std::string copy = latent::fuzz::ScratchPath("copy.safetensors");
  latent::fuzz::WriteBytes(path, data, size);
  std::vector<latent::NamedArray> arrays;
  std::map<std::string, std::string> metadata;
  try {
    arrays = latent::ReadSafetensors(path, &metadata);
  } catch (const latent::Error&) {
    return 0;  // the expected outcome for bad bytes: a clear error
  }
  try {
    latent::WriteSafetensors(copy, arrays, metadata);
    std::map<std::string, std::string> metadata_again;
    const std::vector<latent::NamedArray> again = latent::ReadSafetensors(copy, &metadata_again);
    if (SameArrays(arrays, again) && metadata == metadata_again) return 0;
    std::fprintf(stderr, "safetensors round trip changed the arrays or the metadata\n");
  } catch (const latent::Error& e) {
    std::fprintf(stderr, "safetensors round trip failed: %s\n", e.what());
  }
  std::abort();
}

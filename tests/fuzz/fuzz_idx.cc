// Fuzzes ReadIdx (core/io/idx.h), raw and gzip-compressed: the reader detects gzip by the 1f 8b
// magic, not by the name, so one harness reaches both paths. Bad bytes must end in latent::Error;
// any other way out (a sanitizer report, an abort, an uncaught exception) is a bug.
#include <cstdint>
#include <cstdlib>

#include "core/io/idx.h"
#include "kernels/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // ReadIdx reads a path: each input becomes the file it reads.
  static const std::string path = latent::fuzz::ScratchPath("input-idx");
  latent::fuzz::WriteBytes(path, data, size);
  try {
    const latent::IdxArray array = latent::ReadIdx(path);
    // A file that reads holds exactly the elements its dimensions promise.
    uint64_t count = 1;
    for (const int64_t d : array.dims) count *= static_cast<uint64_t>(d);
    if (array.dims.empty() || count != array.data.size()) std::abort();
  } catch (const latent::Error&) {
    // The expected outcome for bad bytes: a clear error.
  }
  return 0;
}

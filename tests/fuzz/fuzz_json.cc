// Fuzzes Json::Parse (core/io/json.h), the parser under safetensors headers and config.json, and
// checks that what it accepts dumps stably: Parse(Dump(v)) dumps to the same text, on one line
// and indented. A document that changes on its way through a file is a bug, so that aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/io/json.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  latent::Json value;
  try {
    value = latent::Json::Parse(text);
  } catch (const latent::Error&) {
    return 0;  // the expected outcome for bad bytes: a clear error
  }
  const std::string dump = value.Dump();
  try {
    if (latent::Json::Parse(dump).Dump() == dump &&
        latent::Json::Parse(value.Dump(2)).Dump() == dump)
      return 0;
    std::fprintf(stderr, "JSON dump is not stable: %s\n", dump.c_str());
  } catch (const latent::Error& e) {
    std::fprintf(stderr, "JSON dump does not parse back: %s\n%s\n", e.what(), dump.c_str());
  }
  std::abort();
}

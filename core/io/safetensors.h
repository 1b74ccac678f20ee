// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors), so that
// Python's `safetensors` library can load what latent saves, and the other way round.
//
// Layout: an 8-byte little-endian header length N; N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section), plus
// an optional "__metadata__" map of strings; then the data section, the tensors' bytes back to
// back. latent reads and writes only dtype F32.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace latent {

struct NamedArray {
  std::string name;
  std::vector<int64_t> shape;  // row-major; {} is a scalar holding one value
  std::vector<float> values;
};

// Writes `arrays` (in order, names unique) and `metadata` to `path`. The header is padded with
// spaces to a multiple of 8 bytes, as the reference implementation does, so the data stays
// aligned. Atomic: a crash leaves the previous file or the complete new one (see
// WriteFileAtomic). Throws latent::Error naming the file if an array's shape does not match its
// number of values, a name is empty or repeated, or the file cannot be written.
void WriteSafetensors(const std::string& path, const std::vector<NamedArray>& arrays,
                      const std::map<std::string, std::string>& metadata = {});

// Reads every tensor of `path`, in header order, and its metadata if `metadata` is not null.
// Returns only if the whole file is valid; otherwise throws latent::Error naming the file and the
// problem: a missing or short file, a bad header length, a header that is not JSON, a dtype other
// than F32, a shape that disagrees with its offsets, offsets out of range, overlapping or leaving
// gaps, or a repeated name.
std::vector<NamedArray> ReadSafetensors(const std::string& path,
                                        std::map<std::string, std::string>* metadata = nullptr);

}  // namespace latent

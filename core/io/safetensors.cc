#include "core/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>
#include <string_view>

#include "kernels/error.h"
#include "core/io/file_util.h"
#include "core/io/json.h"

// safetensors stores little-endian floats; copying them with memcpy is right only on a
// little-endian host (x86-64, and the ARM servers that carry NVIDIA GPUs).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O needs a little-endian host");

namespace latent {
namespace {

constexpr char kMetadataKey[] = "__metadata__";
constexpr int64_t kBytesPerValue = sizeof(float);
constexpr size_t kLengthBytes = 8;  // the u64 header length that opens the file

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i > 0 ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

// Number of values a shape holds. Throws on a negative dimension, or on a product whose byte
// count would overflow int64 (only a corrupt file asks for that).
int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (const int64_t d : shape) {
    LATENT_CHECK(d >= 0, "expected dimensions >= 0, found shape ", ShapeText(shape));
    LATENT_CHECK(d == 0 || count <= std::numeric_limits<int64_t>::max() / kBytesPerValue / d,
                 "expected a shape whose size fits in int64 bytes, found ", ShapeText(shape));
    count *= d;
  }
  return count;
}

Json BuildHeader(const std::vector<NamedArray>& arrays,
                 const std::map<std::string, std::string>& metadata) {
  Json header = Json::MakeObject();
  if (!metadata.empty()) {
    Json strings = Json::MakeObject();
    for (const auto& [key, value] : metadata) strings.Set(key, value);
    header.Set(kMetadataKey, strings);
  }
  int64_t offset = 0;
  for (const NamedArray& array : arrays) {
    LATENT_CHECK(!array.name.empty() && array.name != kMetadataKey,
                 "expected a tensor name other than \"\" and \"__metadata__\", found \"",
                 array.name, "\"");
    LATENT_CHECK(!header.Contains(array.name), "expected unique tensor names, found \"",
                 array.name, "\" twice");
    const int64_t count = ElementCount(array.shape);
    LATENT_CHECK(static_cast<size_t>(count) == array.values.size(), "tensor '", array.name,
                 "': shape ", ShapeText(array.shape), " needs ", count, " values, found ",
                 array.values.size());
    Json shape{Json::Array{}};
    for (const int64_t d : array.shape) shape.Push(d);
    Json info = Json::MakeObject();
    info.Set("dtype", "F32");
    info.Set("shape", shape);
    info.Set("data_offsets", Json::Array{offset, offset + count * kBytesPerValue});
    header.Set(array.name, info);
    offset += count * kBytesPerValue;
  }
  return header;
}

// Where the bytes of arrays[index] lie in the data section.
struct Span {
  size_t index;
  int64_t begin;
  int64_t end;
};

// Validates one header entry and copies its values out of `data`, the data section; sets the
// span's begin and end.
NamedArray DecodeTensor(const std::string& name, const Json& info, std::string_view data,
                        Span* span) {
  const std::string& dtype = info.At("dtype").AsString();
  LATENT_CHECK(dtype == "F32", "expected dtype \"F32\" (the only one latent reads), found \"",
               dtype, "\"");
  NamedArray array;
  array.name = name;
  for (const Json& d : info.At("shape").AsArray()) array.shape.push_back(d.AsInt64());
  const int64_t count = ElementCount(array.shape);
  const Json& offsets = info.At("data_offsets");
  LATENT_CHECK(offsets.AsArray().size() == 2, "expected data_offsets [begin, end], found ",
               offsets.Dump());
  const int64_t begin = offsets.AsArray()[0].AsInt64();
  const int64_t end = offsets.AsArray()[1].AsInt64();
  LATENT_CHECK(0 <= begin && begin <= end, "expected data_offsets [begin, end] with 0 <= begin",
               " <= end, found [", begin, ", ", end, "]");
  LATENT_CHECK(end <= static_cast<int64_t>(data.size()), "expected data_offsets within the ",
               data.size(), "-byte data section, found [", begin, ", ", end, "]");
  LATENT_CHECK(end - begin == count * kBytesPerValue, "shape ", ShapeText(array.shape),
               " of F32 needs ", count * kBytesPerValue, " bytes, but data_offsets [", begin,
               ", ", end, "] span ", end - begin, " bytes");
  array.values.resize(static_cast<size_t>(count));
  if (count > 0) {
    std::memcpy(array.values.data(), data.data() + begin, static_cast<size_t>(end - begin));
  }
  span->begin = begin;
  span->end = end;
  return array;
}

// The reference reader accepts only tensors that tile the data section: sorted by offset, each
// starts where the previous one ended and the last ends at the end of the file. Insisting on the
// same keeps every file we accept loadable in Python.
void CheckTiling(const std::vector<NamedArray>& arrays, std::vector<Span> spans,
                 int64_t data_size) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Span* previous = nullptr;
  int64_t covered = 0;
  for (const Span& span : spans) {
    LATENT_CHECK(span.begin >= covered, "tensor '", arrays[span.index].name, "' (bytes [",
                 span.begin, ", ", span.end, ")) overlaps tensor '", arrays[previous->index].name,
                 "' (bytes [", previous->begin, ", ", previous->end, "))");
    LATENT_CHECK(span.begin == covered, "expected tensors to cover the data section without ",
                 "gaps, found no tensor for bytes [", covered, ", ", span.begin, ")");
    covered = span.end;
    previous = &span;
  }
  LATENT_CHECK(covered == data_size, "expected tensors to cover the whole ", data_size,
               "-byte data section, found ", data_size - covered,
               " bytes after the last tensor");
}

std::vector<NamedArray> Decode(const std::string& bytes,
                               std::map<std::string, std::string>* metadata) {
  LATENT_CHECK(bytes.size() >= kLengthBytes, "expected at least 8 bytes (the header length), ",
               "found a file of ", bytes.size(), " bytes");
  uint64_t header_size = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) {
    header_size |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  const uint64_t rest = bytes.size() - kLengthBytes;
  LATENT_CHECK(header_size <= rest, "expected a header length of at most ", rest,
               " bytes (the rest of the file), found ", header_size);
  Json header;
  try {
    header = Json::Parse(bytes.substr(kLengthBytes, header_size));
  } catch (const Error& e) {
    LATENT_FAIL("the header is not valid JSON: ", e.what());
  }
  LATENT_CHECK(header.type() == Json::Type::kObject,
               "expected the header to be a JSON object, found ", header.Dump().substr(0, 40));

  const std::string_view data(bytes.data() + kLengthBytes + header_size, rest - header_size);
  std::vector<NamedArray> arrays;
  std::vector<Span> spans;
  std::map<std::string, std::string> strings;
  for (const auto& [name, info] : header.AsObject()) {
    try {
      if (name == kMetadataKey) {
        for (const auto& [key, value] : info.AsObject()) strings[key] = value.AsString();
      } else {
        Span span{arrays.size(), 0, 0};
        arrays.push_back(DecodeTensor(name, info, data, &span));
        spans.push_back(span);
      }
    } catch (const Error& e) {
      LATENT_FAIL("header entry \"", name, "\": ", e.what());
    }
  }
  CheckTiling(arrays, std::move(spans), static_cast<int64_t>(data.size()));
  if (metadata != nullptr) *metadata = std::move(strings);
  return arrays;
}

}  // namespace

void WriteSafetensors(const std::string& path, const std::vector<NamedArray>& arrays,
                      const std::map<std::string, std::string>& metadata) {
  std::string header_text;
  try {
    header_text = BuildHeader(arrays, metadata).Dump();
  } catch (const Error& e) {
    LATENT_FAIL("cannot write safetensors file '", path, "': ", e.what());
  }
  // Spaces are JSON whitespace, so padding leaves the header valid while aligning the data.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  char length[kLengthBytes];
  for (size_t i = 0; i < kLengthBytes; ++i) {
    length[i] = static_cast<char>((static_cast<uint64_t>(header_text.size()) >> (8 * i)) & 0xff);
  }
  std::vector<std::string_view> chunks = {std::string_view(length, kLengthBytes), header_text};
  for (const NamedArray& array : arrays) {
    chunks.emplace_back(reinterpret_cast<const char*>(array.values.data()),
                        array.values.size() * sizeof(float));
  }
  WriteFileAtomic(path, chunks);
}

std::vector<NamedArray> ReadSafetensors(const std::string& path,
                                        std::map<std::string, std::string>* metadata) {
  const std::string bytes = ReadFileBytes(path);  // its errors name the file already
  try {
    return Decode(bytes, metadata);
  } catch (const Error& e) {
    LATENT_FAIL("cannot read safetensors file '", path, "': ", e.what());
  }
}

}  // namespace latent

#include "core/io/safetensors.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "kernels/error.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// Little-endian u64, as the safetensors header length is stored.
std::string U64(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes;
}

// The raw bytes of little-endian F32 values.
std::string F32Bytes(std::initializer_list<float> values) {
  std::string bytes;
  for (const float v : values) {
    unsigned char b[4];
    std::memcpy(b, &v, 4);
    bytes.append(reinterpret_cast<const char*>(b), 4);
  }
  return bytes;
}

class SafetensorsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const {
    return (std::filesystem::path(dir_) / name).string();
  }

  std::string WriteRaw(const std::string& name, const std::string& bytes) const {
    const std::string path = Path(name);
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path;
  }

  // A file with a correct length field for `header` followed by `data`.
  std::string WriteFile(const std::string& name, const std::string& header,
                        const std::string& data) const {
    return WriteRaw(name, U64(header.size()) + header + data);
  }

  static std::string ReadBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Reading `path` must throw latent::Error whose message names the file and contains `part`.
  static void ExpectReadError(const std::string& path, const std::string& part) {
    try {
      ReadSafetensors(path);
      ADD_FAILURE() << "expected latent::Error reading " << path << ", nothing was thrown";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("'" + path + "'"), std::string::npos)
          << "message does not name the file: " << message;
      EXPECT_NE(message.find(part), std::string::npos)
          << "message lacks \"" << part << "\": " << message;
    }
  }

  latent::testing::ScratchDir scratch_{"safetensors_test"};
  const std::string dir_ = scratch_.dir();
};

TEST_F(SafetensorsTest, WritesTheExactStandardLayout) {
  const std::string path = Path("tiny.safetensors");
  WriteSafetensors(path, {{"a", {2}, {1.0f, -2.0f}}, {"b", {1, 1}, {0.5f}}}, {{"format", "pt"}});

  // Built by hand from the format description: 141 bytes of JSON + 3 spaces of padding = 144 =
  // 0x90 bytes of header; then a's two floats and b's one, little-endian, in write order.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}})";
  const std::string expected = std::string("\x90\0\0\0\0\0\0\0", 8) + header + "   " +
                               std::string("\x00\x00\x80\x3f"   // 1.0f
                                           "\x00\x00\x00\xc0"   // -2.0f
                                           "\x00\x00\x00\x3f",  // 0.5f
                                           12);
  EXPECT_EQ(ReadBytes(path), expected);
}

TEST_F(SafetensorsTest, HeaderIsPaddedToAMultipleOfEight) {
  // Names of length 1..8 move the JSON length through every remainder mod 8.
  for (int length = 1; length <= 8; ++length) {
    const std::string path = Path("pad" + std::to_string(length));
    WriteSafetensors(path, {{std::string(length, 'x'), {1}, {3.0f}}});
    const std::string bytes = ReadBytes(path);
    ASSERT_GE(bytes.size(), 8u);
    uint64_t header_size = 0;
    for (int i = 0; i < 8; ++i) {
      header_size |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    }
    EXPECT_EQ(header_size % 8, 0u) << path;
    EXPECT_EQ(bytes.size(), 8 + header_size + 4) << path;
    const std::string header = bytes.substr(8, header_size);
    EXPECT_EQ(header.front(), '{');
    const size_t close = header.rfind('}');
    EXPECT_LT(header.size() - 1 - close, 8u);
    EXPECT_EQ(header.find_first_not_of(' ', close + 1), std::string::npos) << path;
  }
}

TEST_F(SafetensorsTest, RoundTripsShapesValuesAndMetadata) {
  std::vector<float> weights(6 * 7);
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = std::sin(0.37f * i) * 1e3f;
  const std::vector<NamedArray> arrays = {
      {"encoder.weight", {6, 7}, weights},
      {"encoder.bias", {7}, {0.1f, -0.2f, 1e-38f, -0.0f, std::numeric_limits<float>::max(),
                             std::numeric_limits<float>::denorm_min(), 42.0f}},
      {"scalar", {}, {2.5f}},
      {"empty", {0, 3}, {}},
      {"nan", {2}, {std::nanf(""), -std::numeric_limits<float>::infinity()}},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"},
                                                       {"note", "caf\xc3\xa9 \"q\"\n"}};
  const std::string path = Path("model.safetensors");
  WriteSafetensors(path, arrays, metadata);

  std::map<std::string, std::string> read_metadata = {{"stale", "entry"}};
  const std::vector<NamedArray> read = ReadSafetensors(path, &read_metadata);
  EXPECT_EQ(read_metadata, metadata);
  ASSERT_EQ(read.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(read[i].name, arrays[i].name);
    EXPECT_EQ(read[i].shape, arrays[i].shape) << arrays[i].name;
    ASSERT_EQ(read[i].values.size(), arrays[i].values.size()) << arrays[i].name;
    // Bitwise, so NaN, -0 and denormals count too.
    for (size_t k = 0; k < arrays[i].values.size(); ++k) {
      uint32_t written = 0;
      uint32_t loaded = 0;
      std::memcpy(&written, &arrays[i].values[k], 4);
      std::memcpy(&loaded, &read[i].values[k], 4);
      EXPECT_EQ(loaded, written) << arrays[i].name << "[" << k << "]";
    }
  }
}

TEST_F(SafetensorsTest, LeavesNoTmpFileAndReplacesAnExistingFile) {
  const std::string path = Path("ckpt.safetensors");
  WriteSafetensors(path, {{"w", {3}, {1, 2, 3}}});
  WriteSafetensors(path, {{"w", {1}, {9}}});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  const std::vector<NamedArray> read = ReadSafetensors(path);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].values, std::vector<float>{9});
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"ckpt.safetensors"});
}

TEST_F(SafetensorsTest, ReadsHeadersInAnyKeyOrderAsOtherWritersProduce) {
  // Data laid out b then a, header listing a first and __metadata__ last; extra whitespace.
  const std::string path = WriteFile(
      "python_order",
      R"({ "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},)"
      R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
      R"( "__metadata__": {"format": "pt"} }  )",
      F32Bytes({7.0f, 8.0f}));
  std::map<std::string, std::string> metadata;
  const std::vector<NamedArray> read = ReadSafetensors(path, &metadata);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].name, "a");
  EXPECT_EQ(read[0].values, std::vector<float>{8.0f});
  EXPECT_EQ(read[1].name, "b");
  EXPECT_EQ(read[1].values, std::vector<float>{7.0f});
  EXPECT_EQ(metadata.at("format"), "pt");
}

TEST_F(SafetensorsTest, MalformedFilesThrowNamingTheFileAndTheProblem) {
  const std::string two = F32Bytes({1.0f, 2.0f});
  auto tensor = [](const std::string& name, const std::string& dtype, const std::string& shape,
                   int begin, int end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
           ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
  };
  ExpectReadError(Path("missing.safetensors"), "No such file");
  ExpectReadError(WriteRaw("short", std::string("\x10\0\0", 3)),
                  "expected at least 8 bytes (the header length), found a file of 3 bytes");
  ExpectReadError(WriteRaw("long_header", U64(1000) + "{}"),
                  "expected a header length of at most 2 bytes (the rest of the file), found "
                  "1000");
  ExpectReadError(WriteRaw("huge_header", U64(~uint64_t{0}) + "{}"), "found 18446744073709551615");
  ExpectReadError(WriteFile("not_json", "{\"a\":", two), "the header is not valid JSON");
  ExpectReadError(WriteFile("not_object", "[1,2]", ""),
                  "expected the header to be a JSON object, found [1,2]");
  ExpectReadError(WriteFile("f16", "{" + tensor("a", "F16", "[2]", 0, 4) + "}", "abcd"),
                  "header entry \"a\": expected dtype \"F32\" (the only one latent reads), "
                  "found \"F16\"");
  ExpectReadError(WriteFile("shape_vs_offsets", "{" + tensor("a", "F32", "[3]", 0, 8) + "}", two),
                  "shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] span 8 bytes");
  ExpectReadError(WriteFile("negative_dim", "{" + tensor("a", "F32", "[-2]", 0, 8) + "}", two),
                  "expected dimensions >= 0, found shape [-2]");
  ExpectReadError(WriteFile("past_end", "{" + tensor("a", "F32", "[2]", 4, 12) + "}", two),
                  "expected data_offsets within the 8-byte data section, found [4, 12]");
  ExpectReadError(WriteFile("reversed", "{" + tensor("a", "F32", "[0]", 8, 0) + "}", two),
                  "expected data_offsets [begin, end] with 0 <= begin <= end, found [8, 0]");
  ExpectReadError(
      WriteFile("overlap",
                "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 4, 12) +
                    "}",
                two + two),
      "tensor 'b' (bytes [4, 12)) overlaps tensor 'a' (bytes [0, 8))");
  ExpectReadError(
      WriteFile("gap",
                "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("b", "F32", "[1]", 8, 12) +
                    "}",
                two + two.substr(0, 4)),
      "found no tensor for bytes [4, 8)");
  ExpectReadError(WriteFile("trailing", "{" + tensor("a", "F32", "[1]", 0, 4) + "}", two),
                  "expected tensors to cover the whole 8-byte data section, found 4 bytes after "
                  "the last tensor");
  ExpectReadError(
      WriteFile("duplicate",
                "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("a", "F32", "[1]", 4, 8) +
                    "}",
                two),
      "\"a\" appears twice");
  ExpectReadError(WriteFile("no_shape", R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", two),
                  "expected key \"shape\"");
  ExpectReadError(WriteFile("bad_metadata", R"({"__metadata__":{"epoch":3}})", ""),
                  "header entry \"__metadata__\": expected a JSON string, found a number");
}

TEST_F(SafetensorsTest, WriteRejectsInconsistentArraysAndWritesNothing) {
  const std::string path = Path("bad.safetensors");
  auto expect_write_error = [&](const std::vector<NamedArray>& arrays, const std::string& part) {
    try {
      WriteSafetensors(path, arrays);
      ADD_FAILURE() << "expected latent::Error, nothing was thrown";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
      EXPECT_NE(message.find(part), std::string::npos) << "lacks \"" << part << "\": " << message;
    }
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  };
  expect_write_error({{"w", {2, 3}, {1, 2, 3, 4, 5}}},
                     "tensor 'w': shape [2, 3] needs 6 values, found 5");
  expect_write_error({{"w", {1}, {1}}, {"w", {1}, {2}}}, "found \"w\" twice");
  expect_write_error({{"", {1}, {1}}}, "found \"\"");
  expect_write_error({{"__metadata__", {1}, {1}}}, "found \"__metadata__\"");
  expect_write_error({{"w", {-1}, {}}}, "found shape [-1]");
}

TEST_F(SafetensorsTest, WriteToAMissingDirectoryThrowsNamingTheFile) {
  const std::string path = Path("no/such/dir/model.safetensors");
  try {
    WriteSafetensors(path, {{"w", {1}, {1}}});
    FAIL() << "expected latent::Error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace latent

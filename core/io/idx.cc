// Reading IDX files: whole file into memory, gunzip if it starts with the gzip magic, then parse.
//
// Files are small enough (MNIST train images: 47 MB) to read whole, which keeps every check a
// comparison of two known sizes and every message able to say "expected N, found M".
#include "core/io/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "kernels/error.h"

namespace latent {
namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;
constexpr int kMaxDims = 4;

// "0x00000803" for a magic, "0x0D" for a byte.
std::string Hex(uint32_t value, int digits) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%0*X", digits, static_cast<unsigned>(value));
  return text;
}

// The element type each IDX type code stands for, to say what a rejected file holds.
const char* IdxTypeName(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "not an IDX type";
  }
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  LATENT_CHECK(file != nullptr, "cannot open IDX file '", path, "': ", std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file.get())) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  // fopen succeeds on a directory; the read is what fails (EISDIR).
  LATENT_CHECK(!std::ferror(file.get()), "cannot read IDX file '", path, "': ",
               std::strerror(errno));
  return bytes;
}

// Owns a z_stream set up for gzip decoding, so every exit path calls inflateEnd.
class GzipInflater {
 public:
  explicit GzipInflater(const std::string& path) {
    // 16 + MAX_WBITS: accept the gzip wrapper (header and CRC-32 trailer), not zlib's.
    LATENT_CHECK(inflateInit2(&stream_, 16 + MAX_WBITS) == Z_OK, "'", path,
                 "': cannot initialize zlib: ", stream_.msg ? stream_.msg : "unknown error");
  }
  ~GzipInflater() { inflateEnd(&stream_); }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;
  z_stream* stream() { return &stream_; }

 private:
  z_stream stream_{};
};

// Decompresses a whole gzip file. Concatenated members (what `cat a.gz b.gz` makes) are decoded
// one after another, as gunzip does.
std::vector<uint8_t> Gunzip(const std::string& path, std::vector<uint8_t>& compressed) {
  GzipInflater inflater(path);
  z_stream* stream = inflater.stream();
  LATENT_CHECK(compressed.size() <= std::numeric_limits<uInt>::max(), "'", path,
               "': expected a gzip file under 4 GiB, found ", compressed.size(), " bytes");
  stream->next_in = compressed.data();
  stream->avail_in = static_cast<uInt>(compressed.size());

  std::vector<uint8_t> out(compressed.size() * 4 + 1024);
  size_t produced = 0;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    stream->next_out = out.data() + produced;
    stream->avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    const uInt room = stream->avail_out;
    const int status = inflate(stream, Z_NO_FLUSH);
    produced += room - stream->avail_out;
    const size_t consumed = compressed.size() - stream->avail_in;

    if (status == Z_STREAM_END) {
      if (stream->avail_in == 0) break;
      LATENT_CHECK(stream->avail_in >= 2 && stream->next_in[0] == 0x1f &&
                       stream->next_in[1] == 0x8b,
                   "'", path, "': expected end of file or another gzip member after the gzip "
                   "stream ended at byte ", consumed, ", found ", stream->avail_in,
                   " trailing bytes");
      LATENT_CHECK(inflateReset(stream) == Z_OK, "'", path, "': cannot reset zlib");
      continue;
    }
    LATENT_CHECK(status == Z_OK || status == Z_BUF_ERROR, "'", path,
                 "': corrupt gzip data (zlib error: ",
                 stream->msg ? stream->msg : zError(status), ") after ", consumed,
                 " compressed bytes; expected a valid gzip stream");
    // Input used up while zlib still had room to write: the stream was cut short.
    LATENT_CHECK(stream->avail_in != 0 || stream->avail_out == 0, "'", path,
                 "': truncated gzip stream: the file ended after ", compressed.size(),
                 " compressed bytes (", produced,
                 " decompressed) before the end of the gzip stream");
  }
  out.resize(produced);
  return out;
}

uint32_t ReadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

IdxArray ParseIdx(const std::string& path, const std::vector<uint8_t>& bytes) {
  LATENT_CHECK(bytes.size() >= 4, "'", path,
               "': expected at least 4 bytes of IDX header (the magic), found ", bytes.size(),
               " bytes");
  const uint32_t magic = ReadBigEndian32(bytes.data());
  const uint8_t type = bytes[2];
  const int num_dims = bytes[3];
  LATENT_CHECK(bytes[0] == 0 && bytes[1] == 0, "'", path,
               "': not an IDX file: expected a magic of two zero bytes, a type and a dimension "
               "count (0x00000801 to 0x00000804), found ", Hex(magic, 8));
  LATENT_CHECK(type == kTypeUnsignedByte, "'", path, "': expected IDX type ",
               Hex(kTypeUnsignedByte, 2), " (unsigned byte), found ", Hex(type, 2), " (",
               IdxTypeName(type), ") in magic ", Hex(magic, 8));
  LATENT_CHECK(num_dims >= 1 && num_dims <= kMaxDims, "'", path, "': expected 1 to ", kMaxDims,
               " dimensions, found ", num_dims, " in magic ", Hex(magic, 8));

  const size_t header_size = 4 + 4 * static_cast<size_t>(num_dims);
  LATENT_CHECK(bytes.size() >= header_size, "'", path, "': expected a ", header_size,
               "-byte IDX header for ", num_dims, " dimensions, found only ", bytes.size(),
               " bytes");

  IdxArray array;
  int64_t expected = 1;
  for (int i = 0; i < num_dims; ++i) {
    const int64_t dim = ReadBigEndian32(bytes.data() + 4 + 4 * i);
    // Up to four dims below 2^32 can overflow int64: reject such a header rather than wrap.
    LATENT_CHECK(dim == 0 || expected <= std::numeric_limits<int64_t>::max() / dim, "'", path,
                 "': expected dimensions whose product fits in 64 bits, found dimension ", i,
                 " = ", dim, " after a product of ", expected);
    expected *= dim;
    array.dims.push_back(dim);
  }

  const size_t found = bytes.size() - header_size;
  LATENT_CHECK(found >= static_cast<uint64_t>(expected), "'", path,
               "': truncated data: expected ", expected, " bytes of data after the ",
               header_size, "-byte header, found ", found);
  LATENT_CHECK(found == static_cast<uint64_t>(expected), "'", path, "': expected ", expected,
               " bytes of data after the ", header_size, "-byte header, found ", found, " (",
               found - expected, " trailing bytes)");
  array.data.assign(bytes.begin() + header_size, bytes.end());
  return array;
}

// Reads an IDX file that must have exactly `num_dims` dimensions (`what` names its role).
IdxArray ReadIdxWithDims(const std::string& path, size_t num_dims, const char* what) {
  IdxArray array = ReadIdx(path);
  LATENT_CHECK(array.dims.size() == num_dims, "'", path, "': expected a ", num_dims, "-D ",
               what, " file (magic ", Hex(0x0800 + static_cast<uint32_t>(num_dims), 8),
               "), found ", array.dims.size(), "-D (magic ",
               Hex(0x0800 + static_cast<uint32_t>(array.dims.size()), 8), ")");
  return array;
}

// DIR/name if it exists, else DIR/name.gz; throws naming both when neither does.
std::string FindIdxFile(const std::string& dir, const std::string& name) {
  const std::filesystem::path raw = std::filesystem::path(dir) / name;
  const std::filesystem::path gz = std::filesystem::path(dir) / (name + ".gz");
  if (std::filesystem::exists(raw)) return raw.string();
  if (std::filesystem::exists(gz)) return gz.string();
  LATENT_FAIL("IDX directory '", dir, "': expected '", name, "' or '", name,
              ".gz', found neither (tried ", raw.string(), " and ", gz.string(), ")");
}

}  // namespace

IdxArray ReadIdx(const std::string& path) {
  std::vector<uint8_t> bytes = ReadFileBytes(path);
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) bytes = Gunzip(path, bytes);
  return ParseIdx(path, bytes);
}

IdxSplit LoadIdxSplit(const std::string& dir, const std::string& split) {
  LATENT_CHECK(split == "train" || split == "t10k", "IDX split: expected \"train\" or \"t10k\", "
               "found \"", split, "\"");
  const std::string images_name = split + "-images-idx3-ubyte";
  const std::string labels_name = split + "-labels-idx1-ubyte";
  std::error_code error;
  LATENT_CHECK(std::filesystem::is_directory(dir, error), "IDX directory '", dir,
               "' does not exist or is not a directory; expected it to hold ", images_name,
               "[.gz] and ", labels_name, "[.gz] (run tools/fetch_data.sh to fetch MNIST)");

  const std::string images_path = FindIdxFile(dir, images_name);
  const std::string labels_path = FindIdxFile(dir, labels_name);
  IdxArray images = ReadIdxWithDims(images_path, 3, "images");
  // Images without pixels would give a model no input (its loss is then 0/0), and sides beyond the
  // bound ask for a model of billions of inputs or overflow rows * cols; with a count of 0 the
  // file is valid IDX whatever its sides, so they are checked first. An empty split would train
  // on nothing.
  const auto side_ok = [](int64_t side) { return side >= 1 && side <= kMaxImageSide; };
  LATENT_CHECK(side_ok(images.dims[1]) && side_ok(images.dims[2]), "'", images_path,
               "': expected images of 1 to ", kMaxImageSide, " rows and columns (MNIST's are "
               "28x28), found ", images.dims[1], "x", images.dims[2]);
  LATENT_CHECK(images.dims[0] >= 1, "'", images_path,
               "': expected at least one image, found 0 images of ", images.dims[1], "x",
               images.dims[2]);
  IdxArray labels = ReadIdxWithDims(labels_path, 1, "labels");
  LATENT_CHECK(images.dims[0] == labels.dims[0], "count mismatch: expected as many labels as "
               "images, found ", images.dims[0], " images in '", images_path, "' and ",
               labels.dims[0], " labels in '", labels_path, "'");

  IdxSplit out;
  out.count = images.dims[0];
  out.rows = images.dims[1];
  out.cols = images.dims[2];
  out.images = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

}  // namespace latent

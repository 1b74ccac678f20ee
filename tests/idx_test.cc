// Tests for core/idx: valid raw and gzip files read back exactly; every malformed input throws
// latent::Error naming the file and saying what was expected and found.
#include "core/io/idx.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "kernels/error.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using Bytes = std::vector<uint8_t>;

void AppendBigEndian32(Bytes& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// An IDX file of unsigned bytes; `magic` defaults to the right one for `dims`.
Bytes MakeIdx(const std::vector<uint32_t>& dims, const Bytes& data, uint32_t magic = 0) {
  Bytes out;
  AppendBigEndian32(out, magic != 0 ? magic : 0x0800 + static_cast<uint32_t>(dims.size()));
  for (uint32_t dim : dims) AppendBigEndian32(out, dim);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// Deterministic, non-constant bytes, so a reader that drops or reorders bytes is caught.
Bytes Pattern(size_t n, int seed) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((i * 37 + seed * 11 + i / 7) % 256);
  return out;
}

// Compresses with zlib's gzip wrapper (windowBits 16 + 15), independent of the reader's path.
Bytes Gzip(const Bytes& raw) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&stream, raw.size()) + 32);
  Bytes input = raw;
  stream.next_in = input.data();
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

using latent::testing::ExpectErrorContaining;

class IdxTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const Bytes& bytes) {
    const std::string path = (std::filesystem::path(dir_) / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path;
  }

  // A valid split with `count` images of 3 x 5 pixels and `count` labels.
  void WriteSplit(const std::string& split, uint32_t count) {
    Write(split + "-images-idx3-ubyte", MakeIdx({count, 3, 5}, Pattern(count * 15, 1)));
    Write(split + "-labels-idx1-ubyte", MakeIdx({count}, Pattern(count, 2)));
  }

  latent::testing::ScratchDir scratch_{"idx_test"};
  const std::string dir_ = scratch_.dir();
};

TEST_F(IdxTest, RawAndGzipReadBackTheSameValues) {
  const Bytes data = Pattern(4 * 6 * 7, 3);
  const Bytes file = MakeIdx({4, 6, 7}, data);
  // The .gz file is given a name without .gz: detection must go by the magic bytes.
  for (const std::string& path : {Write("raw", file), Write("compressed", Gzip(file))}) {
    const IdxArray array = ReadIdx(path);
    EXPECT_EQ(array.dims, (std::vector<int64_t>{4, 6, 7})) << path;
    EXPECT_EQ(array.data, data) << path;
  }
}

TEST_F(IdxTest, ReadsFourDimensionsAndConcatenatedGzipMembers) {
  const Bytes data = Pattern(2 * 3 * 4 * 5, 4);
  const Bytes file = MakeIdx({2, 3, 4, 5}, data);
  Bytes two_members = Gzip(Bytes(file.begin(), file.begin() + 30));
  const Bytes second = Gzip(Bytes(file.begin() + 30, file.end()));
  two_members.insert(two_members.end(), second.begin(), second.end());
  const IdxArray array = ReadIdx(Write("members.gz", two_members));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(array.data, data);
}

TEST_F(IdxTest, LoadsSplitMixingRawAndGzipFiles) {
  const Bytes images = Pattern(6 * 3 * 5, 5);
  const Bytes labels = {0, 1, 2, 17, 200, 9};  // labels above 9 are allowed
  Write("t10k-images-idx3-ubyte.gz", Gzip(MakeIdx({6, 3, 5}, images)));
  Write("t10k-labels-idx1-ubyte", MakeIdx({6}, labels));
  const IdxSplit split = LoadIdxSplit(dir_, "t10k");
  EXPECT_EQ(split.count, 6);
  EXPECT_EQ(split.rows, 3);
  EXPECT_EQ(split.cols, 5);
  EXPECT_EQ(split.images, images);
  EXPECT_EQ(split.labels, labels);
}

TEST_F(IdxTest, MissingFile) {
  const std::string path = dir_ + "/absent-idx1-ubyte";
  ExpectErrorContaining([&] { ReadIdx(path); }, {path, "cannot open", "No such file"});
}

TEST_F(IdxTest, MissingDirectory) {
  const std::string dir = dir_ + "/no_such_dir";
  ExpectErrorContaining([&] { LoadIdxSplit(dir, "train"); },
                        {dir, "does not exist", "train-images-idx3-ubyte[.gz]",
                         "train-labels-idx1-ubyte[.gz]"});
}

TEST_F(IdxTest, MissingFileInSplitListsNamesTried) {
  Write("train-images-idx3-ubyte", MakeIdx({1, 3, 5}, Pattern(15, 6)));
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                        {dir_, "train-labels-idx1-ubyte'", "train-labels-idx1-ubyte.gz'",
                         "found neither"});
}

TEST_F(IdxTest, UnknownSplitName) {
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "validation"); },
                        {"expected \"train\" or \"t10k\"", "found \"validation\""});
}

TEST_F(IdxTest, EmptyFile) {
  const std::string path = Write("empty", {});
  ExpectErrorContaining([&] { ReadIdx(path); }, {path, "expected at least 4 bytes", "found 0"});
}

TEST_F(IdxTest, TruncatedHeader) {
  // A 3-D magic promises a 16-byte header; only the magic and one dimension are present.
  const Bytes file = MakeIdx({5, 28, 28}, {});
  const std::string path = Write("short-header", Bytes(file.begin(), file.begin() + 8));
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "expected a 16-byte IDX header", "found only 8 bytes"});
}

TEST_F(IdxTest, WrongMagic) {
  // A PNG signature: the first two bytes are not zero.
  const std::string path = Write("image.png", {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
  ExpectErrorContaining([&] { ReadIdx(path); }, {path, "not an IDX file", "found 0x89504E47"});
}

TEST_F(IdxTest, WrongTypeByte) {
  // 0x0D is float32: valid IDX, but not the unsigned bytes this reader supports.
  const std::string path = Write("floats", MakeIdx({2}, Pattern(8, 7), 0x00000D01));
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "expected IDX type 0x08", "found 0x0D (float32)"});
}

TEST_F(IdxTest, TooManyDimensions) {
  const std::string path = Write("five-d", MakeIdx({1, 1, 1, 1, 1}, {7}));
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "expected 1 to 4 dimensions", "found 5"});
}

TEST_F(IdxTest, TwoDimensionalImagesFile) {
  const std::string path =
      Write("train-images-idx3-ubyte", MakeIdx({2, 784}, Pattern(2 * 784, 8)));
  Write("train-labels-idx1-ubyte", MakeIdx({2}, {3, 4}));
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                        {path, "expected a 3-D images file (magic 0x00000803)",
                         "found 2-D (magic 0x00000802)"});
}

TEST_F(IdxTest, TwoDimensionalLabelsFile) {
  WriteSplit("train", 2);
  const std::string path = Write("train-labels-idx1-ubyte", MakeIdx({2, 1}, {3, 4}));
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                        {path, "expected a 1-D labels file (magic 0x00000801)", "found 2-D"});
}

TEST_F(IdxTest, TruncatedData) {
  const Bytes file = MakeIdx({3, 4, 5}, Pattern(60, 9));
  const std::string path = Write("truncated", Bytes(file.begin(), file.end() - 1));
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "truncated data", "expected 60 bytes of data", "found 59"});
}

TEST_F(IdxTest, TrailingData) {
  Bytes file = MakeIdx({10}, Pattern(10, 10));
  file.push_back(0);
  file.push_back(0);
  const std::string path = Write("trailing", file);
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "expected 10 bytes of data", "found 12", "2 trailing bytes"});
}

TEST_F(IdxTest, CountMismatchBetweenImagesAndLabels) {
  WriteSplit("train", 4);
  const std::string labels = Write("train-labels-idx1-ubyte", MakeIdx({3}, {1, 2, 3}));
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                        {"count mismatch", "found 4 images", "train-images-idx3-ubyte",
                         "3 labels in '" + labels});
}

TEST_F(IdxTest, CorruptGzip) {
  // A valid 10-byte gzip header, then a deflate block of reserved type 3 (bits 1,1 after BFINAL).
  Bytes file = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
  for (int i = 0; i < 64; ++i) file.push_back(0xff);
  const std::string path = Write("corrupt.gz", file);
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "corrupt gzip data", "zlib error: invalid block type"});
}

TEST_F(IdxTest, GzipWithWrongChecksum) {
  Bytes file = Gzip(MakeIdx({8}, Pattern(8, 11)));
  file[file.size() - 8] ^= 0x01;  // the CRC-32 is the trailer's first 4 bytes
  const std::string path = Write("bad-crc.gz", file);
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "corrupt gzip data", "incorrect data check"});
}

TEST_F(IdxTest, TruncatedGzipStream) {
  const Bytes file = Gzip(MakeIdx({50, 4, 4}, Pattern(800, 12)));
  const std::string path = Write("cut.gz", Bytes(file.begin(), file.begin() + file.size() / 2));
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "truncated gzip stream",
                         "after " + std::to_string(file.size() / 2) + " compressed bytes"});
}

TEST_F(IdxTest, GarbageAfterGzipStream) {
  Bytes file = Gzip(MakeIdx({3}, {1, 2, 3}));
  const size_t stream_end = file.size();
  file.insert(file.end(), {0, 0, 0});
  const std::string path = Write("padded.gz", file);
  ExpectErrorContaining([&] { ReadIdx(path); },
                        {path, "ended at byte " + std::to_string(stream_end),
                         "found 3 trailing bytes"});
}

TEST_F(IdxTest, SplitWithoutImagesIsRejected) {
  WriteSplit("train", 0);
  ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                        {dir_ + "/train-images-idx3-ubyte", "expected at least one image",
                         "found 0 images of 3x5"});
}

// Headers whose sides are 0 or beyond kMaxImageSide, each with a count that makes the file valid
// IDX: 0 images of 2^32-1 x 2^32-1 (rows * cols overflows int64), 0 of 65536 x 65536 (a model of
// 2^32 inputs), and 4 images of 0 rows (no pixels: a loss of 0/0).
TEST_F(IdxTest, ImageSidesOutsideTheBoundAreRejected) {
  const std::vector<std::vector<uint32_t>> headers = {
      {0, 0xFFFFFFFFu, 0xFFFFFFFFu}, {0, 65536, 65536}, {4, 0, 28}, {4, 28, 0}};
  for (const std::vector<uint32_t>& dims : headers) {
    SCOPED_TRACE(std::to_string(dims[0]) + " x " + std::to_string(dims[1]) + " x " +
                 std::to_string(dims[2]));
    const std::string path = Write("train-images-idx3-ubyte", MakeIdx(dims, {}));
    Write("train-labels-idx1-ubyte", MakeIdx({dims[0]}, Bytes(dims[0], 1)));
    const std::string found =
        "found " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]);
    ExpectErrorContaining([&] { LoadIdxSplit(dir_, "train"); },
                          {path, "expected images of 1 to 16384 rows and columns", found});
    // LoadDataset, which computes rows * cols, gets no further than the split loader.
    ExpectErrorContaining([&] { LoadDataset(dir_, "train", Device::Cpu()); },
                          {path, "expected images of 1 to 16384 rows and columns", found});
  }
}

TEST(DatasetShape, TestImagesMustHaveTheTrainingImagesShape) {
  Dataset train, test;
  train.height = 28;
  train.width = 28;
  test.height = 14;
  test.width = 56;  // as many pixels as 28x28, in another shape
  ExpectErrorContaining([&] { CheckSameImageShape(train, test); },
                        {"expected test images of the training images' shape, 28x28",
                         "found 14x56"});
  test.height = 28;
  test.width = 28;
  EXPECT_NO_THROW(CheckSameImageShape(train, test));
}

// The real data set, when tools/fetch_data.sh has put it in $LATENT_SOURCE_DIR/data/mnist.
TEST(IdxMnistTest, LoadsBothSplits) {
  const char* source_dir = std::getenv("LATENT_SOURCE_DIR");
  if (source_dir == nullptr) GTEST_SKIP() << "LATENT_SOURCE_DIR is not set";
  const std::string dir = std::string(source_dir) + "/data/mnist";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << dir << " is absent; run tools/fetch_data.sh";
  }

  const IdxSplit train = LoadIdxSplit(dir, "train");
  const IdxSplit test = LoadIdxSplit(dir, "t10k");
  EXPECT_EQ(train.count, 60000);
  EXPECT_EQ(test.count, 10000);
  for (const IdxSplit* split : {&train, &test}) {
    EXPECT_EQ(split->rows, 28);
    EXPECT_EQ(split->cols, 28);
    EXPECT_EQ(split->images.size(), static_cast<size_t>(split->count * 28 * 28));
    EXPECT_EQ(split->labels.size(), static_cast<size_t>(split->count));
  }
  EXPECT_EQ(train.labels[0], 5);  // the well-known first MNIST training digit
  EXPECT_EQ(test.labels[0], 7);
}

}  // namespace
}  // namespace latent

// Reading IDX files (the format of MNIST and its relatives), raw or gzip-compressed.
//
// An IDX file is a 4-byte magic (two zero bytes, a type code, a dimension count), one big-endian
// uint32 per dimension, then the elements in row-major order. Only unsigned bytes (type 0x08) are
// supported: that is what image and label files of the MNIST family hold.
//
// Every malformed input throws latent::Error naming the file, what was expected and what was found.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace latent {

// One IDX file of unsigned bytes (type code 0x08), e.g. MNIST images (N, 28, 28) or labels (N).
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Reads one IDX file, raw or gzip-compressed (detected by the 1f 8b magic, not by the name).
IdxArray ReadIdx(const std::string& path);

// The largest number of rows, and of columns, an image of a split may have. MNIST and its
// relatives are 28x28; 16384 leaves room for any image a dense or convolutional autoencoder of
// this framework could train on (one 16384x16384 image is 268M pixels, 1 GiB as f32: a model
// whose first layer reads it needs gigabytes per unit), while a header's dimensions of 65536 or
// 2^32 - 1, whose product overflows or asks for a model of 2^32 inputs, are rejected on reading.
constexpr int64_t kMaxImageSide = 16384;

// One split of an IDX data set directory: images (count, rows, cols) and labels (count), with
// count >= 1 and rows, cols in [1, kMaxImageSide].
struct IdxSplit {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> images;  // (count, rows, cols)
  std::vector<uint8_t> labels;  // (count)
};

// split is "train" or "t10k"; looks for DIR/<split>-images-idx3-ubyte and
// DIR/<split>-labels-idx1-ubyte, each raw or with a .gz suffix (the raw file wins if both exist).
// Label values are not restricted: other data sets in this layout may have more classes.
// Throws latent::Error naming the file for a split of no images or of images with 0 rows or
// columns or more than kMaxImageSide, before converting or uploading anything.
IdxSplit LoadIdxSplit(const std::string& dir, const std::string& split);

}  // namespace latent

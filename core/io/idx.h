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

// One split of an IDX data set directory: images (count, rows, cols) and labels (count).
struct IdxSplit {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> images;  // (count, rows, cols)
  std::vector<uint8_t> labels;  // (count)
};

// split is "train" or "t10k"; looks for DIR/<split>-images-idx3-ubyte and
// DIR/<split>-labels-idx1-ubyte, each raw or with a .gz suffix (the raw file wins if both exist).
// Label values are not restricted: other data sets in this layout may have more classes.
IdxSplit LoadIdxSplit(const std::string& dir, const std::string& split);

}  // namespace latent

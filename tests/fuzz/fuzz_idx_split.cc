// Fuzzes LoadIdxSplit (core/io/idx.h) and, when the split loads, LoadDataset
// (core/io/dataset.h) on the CPU: the path every training run takes from the IDX files to the
// tensors it trains on.
//
// Input: a 2-byte little-endian length L, then L bytes of the labels file, then the images file
// (the rest). The labels come first because they are short: a 2-byte length reaches every real
// labels file of the seed corpus, while the images file takes whatever is left.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "core/device.h"
#include "core/io/dataset.h"
#include "core/io/idx.h"
#include "kernels/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t labels_size = std::min<size_t>(data[0] | (data[1] << 8), size - 2);
  const uint8_t* labels = data + 2;
  const uint8_t* images = labels + labels_size;
  const size_t images_size = size - 2 - labels_size;

  const std::string& dir = latent::fuzz::ScratchDir();
  latent::fuzz::WriteBytes(dir + "/train-labels-idx1-ubyte", labels, labels_size);
  latent::fuzz::WriteBytes(dir + "/train-images-idx3-ubyte", images, images_size);
  try {
    const latent::IdxSplit split = latent::LoadIdxSplit(dir, "train");
    // A split that loads holds count labels and count images of rows x cols bytes.
    const uint64_t pixels = static_cast<uint64_t>(split.count) * split.rows * split.cols;
    if (split.labels.size() != static_cast<uint64_t>(split.count) || split.images.size() != pixels)
      std::abort();

    const latent::Dataset dataset = latent::LoadDataset(dir, "train", latent::Device::Cpu());
    if (dataset.size() != split.count || dataset.height != split.rows ||
        dataset.width != split.cols)
      std::abort();
  } catch (const latent::Error&) {
    // The expected outcome for bad bytes: a clear error.
  }
  return 0;
}

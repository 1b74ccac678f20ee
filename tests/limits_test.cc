// Sizes beyond what can exist are errors before anything is allocated: shapes whose element count
// overflows, tensors and models larger than the machine's memory, and model sizes outside the
// hyperparameters' ranges. None of these tests allocates what it asks for: the checks come first.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "models/configs.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;
using testing::MakeModel;

TEST(Limits, ShapesWhoseElementCountOverflowsAreRejected) {
  const int64_t big = int64_t{1} << 31;
  ExpectErrorContaining([&] { Shape({big, big, big}); },
                        {"shape (2147483648, 2147483648, 2147483648)",
                         "expected at most 1152921504606846975 elements"});
  // (2^32 - 1)^2 > 2^63: what a header of two 0xFFFFFFFF sides would have wrapped to.
  ExpectErrorContaining([&] { Shape({0xFFFFFFFFll, 0xFFFFFFFFll}); },
                        {"shape (4294967295, 4294967295)", "expected at most"});
  // A zero makes a shape empty, but its other dimensions are bounded all the same: numel()
  // multiplies them before it meets the zero.
  ExpectErrorContaining([&] { Shape({big, big, big, 0}); }, {"expected at most"});
  // The bound itself is in range; one more is not.
  EXPECT_EQ(Shape({Shape::kMaxNumel}).numel(), (int64_t{1} << 60) - 1);
  ExpectErrorContaining([&] { Shape({Shape::kMaxNumel + 1}); }, {"expected at most"});
  EXPECT_EQ(Shape({big, 0, 7}).numel(), 0);
}

TEST(Limits, ATensorLargerThanTheMachineIsRefusedBeforeItIsAllocated) {
  const uint64_t memory = MemoryCapacity(Device::Cpu());
  ASSERT_GT(memory, uint64_t{1} << 20);
  // One f32 more than the physical memory holds.
  const int64_t floats = static_cast<int64_t>(memory / 4 + 1);
  ExpectErrorContaining([&] { Tensor::Empty({floats}); },
                        {"out of memory: a tensor needs ", " on cpu; this machine has ",
                         " of physical memory"});
}

// deep-ae with widths of 65536, the largest each may be: every pair in a row adds a 65536 x 65536
// layer to the encoder and to the decoder, 2^33 weights, 64 GiB with their gradients.
TEST(Limits, AModelLargerThanTheMachineIsRefusedNamingItsSize) {
  const uint64_t memory = MemoryCapacity(Device::Cpu());
  const uint64_t per_pair = (uint64_t{1} << 33) * 12;  // f32 values, gradients, initial values
  const uint64_t widths = memory / per_pair + 2;
  if (widths > static_cast<uint64_t>(kMaxHiddenLayers))
    GTEST_SKIP() << "this machine holds any deep-ae: " << memory << " bytes";
  std::string text = "65536";
  for (uint64_t i = 1; i < widths; ++i) text += ",65536";
  std::unique_ptr<Model> model = MakeModel("deep-ae", ModelShape{}, {"widths=" + text});
  const std::string count = std::to_string(model->params().count());
  ExpectErrorContaining([&] { model->params().Allocate(Device::Cpu(), 1); },
                        {"out of memory: a model of " + count + " parameters (f32 values and "
                         "gradients, f32 initial values) needs ",
                         " on cpu; this machine has "});
  EXPECT_FALSE(model->params().allocated());
}

TEST(Limits, ModelSizesOutsideTheirRangesNameTheHyperparameter) {
  const ModelShape shape;
  for (const char* name : {"ae", "overcomplete-ae", "deep-ae", "sparse-ae", "denoising-ae",
                           "contractive-ae", "conv-ae", "vae", "beta-vae", "cvae", "conv-vae",
                           "iwae", "vamp-vae", "gmm-vae"}) {
    SCOPED_TRACE(name);
    ExpectErrorContaining([&] { MakeModel(name, shape, {"latent-dim=65537"}); },
                          {"--latent-dim expects an integer in [1, 65536], found '65537'"});
    ExpectErrorContaining([&] { MakeModel(name, shape, {"latent-dim=100000"}); },
                          {"--latent-dim", "'100000'"});
  }
  for (const char* name : {"vae", "beta-vae", "cvae", "iwae", "vamp-vae", "gmm-vae"})
    ExpectErrorContaining([&] { MakeModel(name, shape, {"hidden=65537"}); },
                          {"--hidden expects an integer in [1, 65536], found '65537'"});
  ExpectErrorContaining([&] { MakeModel("iwae", shape, {"samples=0"}); },
                        {"--samples expects an integer in [1, 5000], found '0'"});
  ExpectErrorContaining([&] { MakeModel("vamp-vae", shape, {"pseudo-inputs=65537"}); },
                        {"--pseudo-inputs expects an integer in [1, 65536], found '65537'"});
  ExpectErrorContaining([&] { MakeModel("gmm-vae", shape, {"components=0"}); },
                        {"--components expects an integer in [1, 65536], found '0'"});
  for (const char* name : {"conv-ae", "conv-vae"})
    ExpectErrorContaining([&] { MakeModel(name, shape, {"channels=1025"}); },
                          {"--channels expects an integer in [1, 1024], found '1025'"});
  // The request that asked for 8e18 bytes, one width above the bound, and 65 hidden layers.
  ExpectErrorContaining([&] { MakeModel("deep-ae", shape, {"widths=999999999,999999999"}); },
                        {"--widths expects 1 to 64 comma-separated layer widths in [1, 65536]",
                         "found '999999999,999999999'"});
  ExpectErrorContaining([&] { MakeModel("deep-ae", shape, {"widths=1000,65537"}); },
                        {"--widths", "'1000,65537'"});
  std::string layers = "8";
  for (int i = 1; i < 65; ++i) layers += ",8";
  ExpectErrorContaining([&] { MakeModel("deep-ae", shape, {"widths=" + layers}); },
                        {"--widths expects 1 to 64"});
  // The bounds themselves are in range.
  EXPECT_NO_THROW(MakeModel("vae", ModelShape{4, 4, 10}, {"latent-dim=65536", "hidden=1"}));
  EXPECT_NO_THROW(MakeModel("conv-ae", ModelShape{4, 4, 10}, {"channels=1024", "latent-dim=1"}));
  EXPECT_NO_THROW(MakeModel("deep-ae", ModelShape{4, 4, 10}, {"widths=" + layers.substr(2)}));
}

}  // namespace
}  // namespace latent

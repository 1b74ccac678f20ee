// The CUDA conv kernels (kernels/cuda/conv.cu) through the ops, against the direct loops in f64
// (tests/conv_check.h): the MNIST conv autoencoder's layers at batch 128, odd shapes, and a batch
// split into several chunks; and bitwise-identical results run to run (col2im gathers, no
// atomics). Skips when no GPU is present; without LATENT_WITH_CUDA the file is empty.
#ifdef LATENT_WITH_CUDA

#include <gtest/gtest.h>

#include <string>

#include "core/device.h"
#include "tests/conv_check.h"

namespace latent {
namespace {

class ConvCuda : public ::testing::TestWithParam<testing::ConvCase> {};

TEST_P(ConvCuda, MatchesDirectLoops) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  testing::ExpectConvMatchesDirectLoops(GetParam(), Device::Cuda(), 17);
}

// chunk_batch 21: 21 images of 1.6 million column floats exceed the 32 Mi-float chunk budget of
// kernels/cuda/conv.cu, so the batch runs as chunks of 20 and 1.
INSTANTIATE_TEST_SUITE_P(Cases, ConvCuda,
                         ::testing::ValuesIn(testing::ConvCases(/*mnist_batch=*/128,
                                                                /*chunk_batch=*/21)),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConvCudaDeterminism, RunsAreBitwiseIdentical) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  for (const testing::ConvCase& c : testing::ConvCases(128, 1)) {
    const testing::ConvValues v = testing::MakeConvValues(c, testing::ConvCaseOutputShape(c), 5);
    const testing::ConvRun a = testing::RunConvCase(c, v, DType::kF32, Device::Cuda());
    const testing::ConvRun b = testing::RunConvCase(c, v, DType::kF32, Device::Cuda());
    auto host = [](const Tensor& t) { return t.To(Device::Cpu()).ToVector<float>(); };
    EXPECT_EQ(host(a.y), host(b.y)) << c.name;
    EXPECT_EQ(host(a.dx), host(b.dx)) << c.name;
    EXPECT_EQ(host(a.dw), host(b.dw)) << c.name;
    if (c.bias) {
      EXPECT_EQ(host(a.db), host(b.db)) << c.name;
    }
  }
}

}  // namespace
}  // namespace latent

#endif  // LATENT_WITH_CUDA

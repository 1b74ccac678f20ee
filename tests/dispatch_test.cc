// The dispatch (core/dispatch.h): which kernel of a family each device and element type gets, the
// errors for the types a family lacks, the GEMM setting's scope, and, on a GPU, the ops that
// reach the CUDA kernels through it with i32 data or f32 parameters. Also the broadcast op's
// values (its gradient is checked through the op table).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/dispatch.h"
#include "core/ops.h"
#include "core/optim.h"
#include "core/parameters.h"
#include "core/tensor_math.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;

// Which kernel of a family ran, and for which element type.
struct Ran {
  std::string kernel;
  DType dtype = DType::kF32;
};

// A kernel that records its name and the type of the `zero` it is called with.
auto Recorder(Ran& ran, const char* name) {
  return [&ran, name](auto zero) { ran = {name, DTypeOf<decltype(zero)>::value}; };
}

// The call every test passes: the kernel, called with the element type's zero.
const auto kCallKernel = [](auto kernel, auto zero) { kernel(zero); };

TEST(DispatchTest, F32TakesTheFastCpuKernelAndF64TheReference) {
  Ran ran;
  const Kernels family{Recorder(ran, "cpu"), Recorder(ran, "cuda"), Recorder(ran, "fast cpu")};
  Dispatch("probe", Tensor::Zeros({2}, DType::kF32), family, kCallKernel);
  EXPECT_EQ(ran.kernel, "fast cpu");
  EXPECT_EQ(ran.dtype, DType::kF32);
  Dispatch("probe", Tensor::Zeros({2}, DType::kF64), family, kCallKernel);
  EXPECT_EQ(ran.kernel, "cpu");
  EXPECT_EQ(ran.dtype, DType::kF64);
}

TEST(DispatchTest, WithoutAFastKernelF32TakesTheReference) {
  Ran ran;
  Dispatch("probe", Tensor::Zeros({2}, DType::kF32),
           Kernels{Recorder(ran, "cpu"), Recorder(ran, "cuda")}, kCallKernel);
  EXPECT_EQ(ran.kernel, "cpu");
  EXPECT_EQ(ran.dtype, DType::kF32);
}

TEST(DispatchTest, AnOpTakesTheElementTypesItLists) {
  Ran ran;
  const Kernels family{Recorder(ran, "cpu"), Recorder(ran, "cuda")};
  const Tensor i32 = Tensor::Zeros({2}, DType::kI32);
  ExpectErrorContaining([&] { Dispatch("probe", i32, family, kCallKernel); },
                        {"probe: expected an f32 or f64 tensor, found i32"});
  ExpectErrorContaining(
      [&] { Dispatch<float>("probe", Tensor::Zeros({2}, DType::kF64), family, kCallKernel); },
      {"probe: expected an f32 tensor, found f64"});
  Dispatch<float, double, int32_t>("probe", i32, family, kCallKernel);
  EXPECT_EQ(ran.kernel, "cpu");
  EXPECT_EQ(ran.dtype, DType::kI32);
}

TEST(DispatchTest, CudaTakesF32AndListedI32ButNeverF64) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  Ran ran;
  const Kernels family{Recorder(ran, "cpu"), Recorder(ran, "cuda"), Recorder(ran, "fast cpu")};
  Dispatch("probe", Tensor::Zeros({2}, DType::kF32, Device::Cuda()), family, kCallKernel);
  EXPECT_EQ(ran.kernel, "cuda");
  EXPECT_EQ(ran.dtype, DType::kF32);
  Dispatch<float, int32_t>("probe", Tensor::Zeros({2}, DType::kI32, Device::Cuda()), family,
                           kCallKernel);
  EXPECT_EQ(ran.kernel, "cuda");
  EXPECT_EQ(ran.dtype, DType::kI32);
  const Tensor f64 = Tensor::Empty({2}, DType::kF64, Device::Cuda());
  ExpectErrorContaining([&] { Dispatch("probe", f64, family, kCallKernel); },
                        {"probe: CUDA kernels take f32 tensors, found f64"});
  ExpectErrorContaining(
      [&] { Dispatch<float, double, int32_t>("probe", f64, family, kCallKernel); },
      {"probe: CUDA kernels take f32 or i32 tensors, found f64"});
}

TEST(DispatchTest, CudaGemmScopeNestsAndRestores) {
  using math::CudaGemm;
  using math::CudaGemmScope;
  EXPECT_EQ(CudaGemmScope::Current(), CudaGemm::kLatent);
  {
    const CudaGemmScope outer(CudaGemm::kCublas);
    EXPECT_EQ(CudaGemmScope::Current(), CudaGemm::kCublas);
    {
      const CudaGemmScope inner(CudaGemm::kLatent);
      EXPECT_EQ(CudaGemmScope::Current(), CudaGemm::kLatent);
    }
    EXPECT_EQ(CudaGemmScope::Current(), CudaGemm::kCublas);
  }
  EXPECT_EQ(CudaGemmScope::Current(), CudaGemm::kLatent);
}

// i32 labels through the dispatch on a GPU: a fill, a minibatch gather and one-hot codes.
TEST(DispatchTest, CudaI32OpsGiveTheCpuValues) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  const Tensor filled = Tensor::Full({5}, -7.0, DType::kI32, Device::Cuda());
  EXPECT_EQ(filled.ToVector<int32_t>(), std::vector<int32_t>(5, -7));
  const std::vector<int32_t> labels = {3, 1, 4, 1, 5, 9, 2};  // (7, 1)
  const std::vector<int32_t> index = {6, 0, 6, 3};
  const Tensor cpu = GatherRows(Tensor::FromVector(labels, {7, 1}), Tensor::FromVector(index, {4}));
  const Tensor cuda = GatherRows(Tensor::FromVector(labels, {7, 1}, Device::Cuda()),
                                 Tensor::FromVector(index, {4}, Device::Cuda()));
  EXPECT_EQ(cpu.ToVector<int32_t>(), (std::vector<int32_t>{2, 3, 2, 1}));
  EXPECT_EQ(cuda.ToVector<int32_t>(), cpu.ToVector<int32_t>());
  const Tensor codes = math::OneHot(cuda.View({4}), 3);
  EXPECT_EQ(codes.device(), Device::Cuda());
  EXPECT_EQ(codes.ToVector<float>(), (std::vector<float>{0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0}));
}

// Two SGD and two Adam steps on f(p) = sum(p^2) / 2 from the same start: both devices run the
// same float formulas elementwise, so the parameters agree to rounding (1e-6 relative to values
// of order 1; a wrong buffer or hyperparameter is off by O(lr)).
TEST(DispatchTest, CudaOptimizersStepLikeTheCpu) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  auto run = [](Device device, bool adam) {
    Parameters params;
    params.Declare("p", {37}, Init::Uniform(1.0));
    params.Allocate(device, 3);
    Sgd sgd(params, 0.1, 0.9);
    Adam adam_opt(params, 0.1);
    for (int step = 0; step < 2; ++step) {
      params.ZeroGrad();
      Scale(Sum(Square(params[0])), 0.5).Backward();
      if (adam) {
        adam_opt.Step();
      } else {
        sgd.Step();
      }
    }
    return params[0].ToVector<float>();
  };
  for (bool adam : {false, true}) {
    const std::vector<float> cpu = run(Device::Cpu(), adam), cuda = run(Device::Cuda(), adam);
    ASSERT_EQ(cpu.size(), cuda.size());
    for (size_t i = 0; i < cpu.size(); ++i)
      EXPECT_NEAR(cuda[i], cpu[i], 1e-6) << (adam ? "adam" : "sgd") << " element " << i;
  }
}

// The broadcast op copies its one element exactly, as the gather of row 0 it replaces did, and
// its backward sums the upstream gradient.
TEST(DispatchBroadcastTest, CopiesTheElementAndSumsTheGradient) {
  for (Device device : {Device::Cpu(), Device::Cuda()}) {
    if (device.is_cuda() && !CudaAvailable()) continue;
    Tensor x = Tensor::FromVector<float>({0.1f}, {1}, device);
    x.SetRequiresGrad(true);
    const Tensor y = Broadcast(x, {3});
    EXPECT_EQ(y.shape(), Shape({3}));
    const Tensor gathered =
        GatherRows(Detach(x), Tensor::FromVector<int32_t>({0, 0, 0}, {3}, device));
    EXPECT_EQ(y.ToVector<float>(), gathered.ToVector<float>());
    Sum(Mul(y, Tensor::FromVector<float>({1.0f, -2.0f, 4.0f}, {3}, device))).Backward();
    EXPECT_EQ(x.grad().ToVector<float>(), std::vector<float>{3.0f});
  }
  ExpectErrorContaining([] { Broadcast(Tensor::Zeros({2}), {3}); },
                        {"broadcast: expected a one-element tensor, found shape (2,)"});
}

}  // namespace
}  // namespace latent

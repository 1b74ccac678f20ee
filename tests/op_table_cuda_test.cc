// Walks the op table on a GPU: every op runs on the CPU and on CUDA from the
// same fresh random f32 inputs, at odd sizes and at the VAE's real sizes; outputs and input
// gradients must agree. Skips when no GPU is present.
#ifdef LATENT_WITH_CUDA

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/autograd.h"
#include "core/op_table.h"
#include "core/ops.h"
#include "core/random.h"

namespace latent {
namespace {

// Sizes substituted for the dimension names 3, 4, 5 and 2 of the table's check shapes: ones,
// odd primes-ish, the VAE at batch 128 (784-400-20), and lopsided non-square mixes.
const std::vector<std::map<int64_t, int64_t>> kSizes = {
    {{3, 1}, {4, 1}, {5, 1}, {2, 1}},
    {{3, 7}, {4, 31}, {5, 127}, {2, 3}},
    {{3, 128}, {4, 784}, {5, 400}, {2, 20}},
    {{3, 1000}, {4, 7}, {5, 31}, {2, 784}},
    {{3, 127}, {4, 1000}, {5, 1}, {2, 7}},
};

// Both devices compute in f32 with different summation orders (GEMM tiles, tree reductions):
// those differ by about sqrt(K) * 6e-8 relative to the summed terms, K <= 1000, i.e. < 2e-6.
// 1e-4 of the tensor's largest magnitude, plus 1e-4 relative, leaves a 50x margin while a wrong
// index or formula is off by O(1).
void ExpectClose(const Tensor& cpu, const Tensor& cuda, const std::string& what) {
  ASSERT_EQ(cpu.shape(), cuda.shape()) << what;
  const std::vector<float> a = cpu.ToVector<float>(), b = cuda.ToVector<float>();
  float scale = 1.0f;
  for (float v : a) scale = std::max(scale, std::abs(v));
  const double atol = 1e-4 * scale, rtol = 1e-4;
  int reported = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(a[i])) && reported++ < 5)
      ADD_FAILURE() << what << " element " << i << ": cpu " << a[i] << " cuda " << b[i];
  }
}

class OpCudaCheck : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {};

TEST_P(OpCudaCheck, CudaMatchesCpu) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  const OpInfo& op = AllOps()[std::get<0>(GetParam())];
  const size_t set = std::get<1>(GetParam());
  const std::map<int64_t, int64_t>& sizes = kSizes[set];
  // An op with fixed shapes runs at its check shapes as written (set 0) and its real shapes (1).
  if (op.fixed_shapes && set > 1) GTEST_SKIP() << op.name << " has fixed shapes";
  std::vector<Tensor> cpu_in, cuda_in;
  for (size_t k = 0; k < op.check_shapes.size(); ++k) {
    Shape shape = op.check_shapes[k];
    if (op.fixed_shapes) {
      if (set == 1) shape = op.real_shapes[k];
    } else {
      for (int d = 0; d < shape.ndim(); ++d) shape[d] = sizes.at(shape[d]);
    }
    Tensor u = RandomUniform(shape, 1234, k);
    std::vector<float> v = u.ToVector<float>();
    for (float& x : v) x = static_cast<float>(op.lo + (op.hi - op.lo) * x);
    Tensor c = Tensor::FromVector(v, shape);
    Tensor g = c.To(Device::Cuda());
    c.SetRequiresGrad(true);
    g.SetRequiresGrad(true);
    cpu_in.push_back(c);
    cuda_in.push_back(g);
  }
  const Tensor y_cpu = op.apply(cpu_in), y_cuda = op.apply(cuda_in);
  ExpectClose(y_cpu, y_cuda, std::string(op.name) + " output");
  const Tensor w = RandomNormal(y_cpu.shape(), 99, 0);
  Sum(Mul(y_cpu, w)).Backward();
  Sum(Mul(y_cuda, w.To(Device::Cuda()))).Backward();
  for (size_t k = 0; k < cpu_in.size(); ++k)
    ExpectClose(cpu_in[k].grad(), cuda_in[k].grad(),
                std::string(op.name) + " gradient of input " + std::to_string(k));
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpCudaCheck,
                         ::testing::Combine(::testing::Range<size_t>(0, kNumOps),
                                            ::testing::Range<size_t>(0, kSizes.size())),
                         [](const auto& info) {
                           return std::string(AllOps()[std::get<0>(info.param)].name) + "_sizes" +
                                  std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace latent

#endif  // LATENT_WITH_CUDA

// After its first steps, training asks the system for no new memory: every tensor of a step is
// a block the step before it freed, handed out again by the caching allocator (core/allocator.h),
// so the steady state maps no pages and costs no page faults.
#include <gtest/gtest.h>

#include <string>

#include "core/allocator.h"
#include "core/optim.h"
#include "core/random.h"
#include "test_util.h"

namespace latent {
namespace {

class SteadyState : public ::testing::TestWithParam<std::string> {};

TEST_P(SteadyState, TrainingStepsAllocateNothingNewAfterTheFirst) {
  auto& cpu = dynamic_cast<CachingAllocator&>(AllocatorFor(Device::Cpu()));
  if (cpu.exact()) GTEST_SKIP() << "the allocator is in exact mode (no cache), as under ASan";
  const ModelShape shape{28, 28, 10};
  auto model = testing::MakeModel(GetParam(), shape, {"latent-dim=8"});
  model->params().Allocate(Device::Cpu(), 1);
  Adam adam(model->params(), 1e-3);
  const Tensor labels = Tensor::FromVector(std::vector<int32_t>(64, 3), {64});
  const auto step = [&](uint64_t t) {
    const Tensor x = RandomUniform({64, shape.features()}, 2, t);  // a new batch every step
    const LossOutput out = model->Loss(x, labels, {1, t, true});
    adam.ZeroGrad();
    out.loss.Backward();
    adam.Step();
  };
  step(0);
  step(1);
  const uint64_t before = cpu.raw_allocations();
  for (uint64_t t = 2; t < 7; ++t) step(t);
  EXPECT_EQ(cpu.raw_allocations(), before) << "blocks newly allocated in 5 steady steps";
}

// The dense VAE of the main job, the convolutional one (im2col and transposed convolutions), and
// iwae (k samples per image).
INSTANTIATE_TEST_SUITE_P(Models, SteadyState, ::testing::Values("vae", "conv-vae", "iwae"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace latent

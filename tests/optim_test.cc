// The optimizer classes over a model's flat parameter buffer (the update kernels themselves are
// checked against hand-computed steps in tests/cpu_kernels_test.cc).
#include <gtest/gtest.h>

#include <cmath>

#include "core/grad_clip.h"
#include "core/ops.h"
#include "core/optim.h"

namespace latent {
namespace {

// f(p) = sum(p^2) / 2 has gradient p.
void QuadraticBackward(Parameters& params) {
  params.ZeroGrad();
  Scale(Sum(Square(params[0])), 0.5).Backward();
}

// A parameter that no backward pass reaches after ZeroGrad reads as zero in the flat buffer, even
// though its part of the buffer still holds the previous step's gradient: the optimizer must not
// apply that gradient twice.
TEST(Optim, ParameterWithoutAGradientThisStepReadsZero) {
  Parameters params;
  params.Declare("a", {3}, Init::Constant(2.0));
  params.Declare("b", {2}, Init::Constant(-1.0));
  params.Allocate(Device::Cpu(), 1);
  auto both_then_a_only = [&] {
    params.ZeroGrad();
    Sum(Add(Sum(Square(params[0])), Sum(Square(params[1])))).Backward();
    ASSERT_EQ(params[1].grad().ToVector<float>(), (std::vector<float>{-2.0f, -2.0f}));
    params.ZeroGrad();
    Sum(Square(params[0])).Backward();  // b takes no part
  };
  // Read through the flat buffer, as the optimizer and clipping do: a's gradient is 2 a = 4 in
  // each of 3 places, b's 0, the padding 0.
  both_then_a_only();
  float sum_sq = 0.0f;
  for (float g : params.flat_grads().ToVector<float>()) sum_sq += g * g;
  EXPECT_EQ(sum_sq, 48.0f);
  // Read through b's own gradient.
  both_then_a_only();
  EXPECT_EQ(params[1].grad().ToVector<float>(), (std::vector<float>{0.0f, 0.0f}));
}

TEST(Optim, AdamFirstStepsMoveByTheLearningRate) {
  Parameters params;
  params.Declare("p", {3}, Init::Constant(2.0));
  params.Allocate(Device::Cpu(), 1);
  Adam adam(params, 0.1);
  QuadraticBackward(params);
  adam.Step();  // bias-corrected: the first step is lr against the gradient's sign
  for (float v : params[0].ToVector<float>()) EXPECT_NEAR(v, 1.9f, 1e-6);
  QuadraticBackward(params);  // g = 1.9 now; m/c1 = (0.18 + 0.19)/0.19, v likewise: step ~ lr
  adam.Step();
  // m = 0.9*0.2 + 0.19 = 0.37, c1 = 0.19; v = 0.999*0.004 + 0.001*3.61 = 0.007606, c2 = 0.001999
  const double expected = 1.9 - 0.1 * (0.37 / 0.19) / (std::sqrt(0.007606 / 0.001999) + 1e-8);
  for (float v : params[0].ToVector<float>()) EXPECT_NEAR(v, expected, 1e-5);
  EXPECT_EQ(adam.steps(), 2);
}

TEST(Optim, AdamWDecaysTheParameterThenTakesTheAdamStep) {
  Parameters params;
  params.Declare("p", {3}, Init::Constant(2.0));
  params.Allocate(Device::Cpu(), 1);
  const double lr = 0.1, wd = 0.01, eps = 1e-8;
  Adam adam(params, lr, 0.9, 0.999, eps, wd);
  QuadraticBackward(params);  // g = 2
  adam.Step();
  // p = 2 (1 - lr wd) - lr * (m / c1) / (sqrt(v / c2) + eps), m / c1 = 2, v / c2 = 4
  const double p1 = 2.0 * (1.0 - lr * wd) - lr * 2.0 / (2.0 + eps);
  for (float v : params[0].ToVector<float>()) EXPECT_NEAR(v, p1, 1e-6);
  // A second step at a new rate: the decay uses it too (1 - lr2 wd).
  const double lr2 = 0.05;
  adam.set_lr(lr2);
  QuadraticBackward(params);  // g = p1
  adam.Step();
  const double m = 0.9 * 0.2 + 0.1 * p1, v = 0.999 * 0.004 + 0.001 * p1 * p1;
  const double c1 = 1.0 - 0.9 * 0.9, c2 = 1.0 - 0.999 * 0.999;
  const double p2 = p1 * (1.0 - lr2 * wd) - lr2 * (m / c1) / (std::sqrt(v / c2) + eps);
  for (float x : params[0].ToVector<float>()) EXPECT_NEAR(x, p2, 1e-6);
  EXPECT_EQ(adam.lr(), lr2);
  EXPECT_THROW(adam.set_lr(-1.0), Error);
}

TEST(Optim, SgdWithMomentum) {
  Parameters params;
  params.Declare("p", {2}, Init::Constant(1.0));
  params.Allocate(Device::Cpu(), 1);
  Sgd sgd(params, 0.5, 0.5);
  QuadraticBackward(params);
  sgd.Step();  // v = 1, p = 0.5
  QuadraticBackward(params);
  sgd.Step();  // v = 0.5 + 0.5 = 1, p = 0
  for (float v : params[0].ToVector<float>()) EXPECT_NEAR(v, 0.0f, 1e-7);
}

TEST(Optim, ClipGradNormScalesALargeGradientExactly) {
  Parameters params;
  params.Declare("a", {1}, Init::Constant(3.0));
  params.Declare("b", {1}, Init::Constant(4.0));
  params.Allocate(Device::Cpu(), 1);
  params.ZeroGrad();
  // f = (a^2 + b^2) / 2: the gradient is (3, 4), across two parameters, of global norm 5.
  Scale(Add(Square(params[0]), Square(params[1])), 0.5).Backward();
  EXPECT_DOUBLE_EQ(ClipGradNorm(params, 1.0), 5.0);
  // Each gradient times 1/5, the direction kept (the views into the flat buffer see the scaling).
  EXPECT_FLOAT_EQ(params[0].grad().ToVector<float>()[0], 0.6f);
  EXPECT_FLOAT_EQ(params[1].grad().ToVector<float>()[0], 0.8f);
  double sum_sq = 0.0;
  for (float x : params.flat_grads().ToVector<float>()) sum_sq += double(x) * x;
  EXPECT_NEAR(std::sqrt(sum_sq), 1.0, 1e-6);  // the padding between them stays zero
}

TEST(Optim, ClipGradNormLeavesASmallGradientUnchanged) {
  Parameters params;
  params.Declare("p", {2}, Init::Constant(0.25));
  params.Allocate(Device::Cpu(), 1);
  QuadraticBackward(params);  // g = (0.25, 0.25), norm 0.354 < 1
  const std::vector<float> before = params.flat_grads().ToVector<float>();
  EXPECT_NEAR(ClipGradNorm(params, 1.0), std::sqrt(0.125), 1e-7);
  EXPECT_EQ(params.flat_grads().ToVector<float>(), before);
  EXPECT_THROW(ClipGradNorm(params, 0.0), Error);
}

TEST(Optim, BadHyperparametersAreRejected) {
  Parameters params;
  params.Declare("p", {2}, Init::Constant(1.0));
  params.Allocate(Device::Cpu(), 1);
  EXPECT_THROW(Adam(params, -1e-3), Error);
  EXPECT_THROW(Adam(params, 1e-3, 1.0), Error);
  EXPECT_THROW(Adam(params, 1e-3, 0.9, 0.999, 1e-8, -0.1), Error);
  EXPECT_THROW(Adam(params, 1e-3, 0.9, 0.999, 0.0), Error);
  EXPECT_THROW(Sgd(params, 0.1, 1.5), Error);
}

TEST(Parameters, FlatBufferViewsAndDuplicateNames) {
  Parameters params;
  params.Declare("a", {2, 3}, Init::Uniform(0.5));
  params.Declare("b", {5}, Init::Constant(0.25));
  EXPECT_THROW(params.Declare("a", {1}, Init::Constant(0)), Error);
  params.Allocate(Device::Cpu(), 9);
  EXPECT_EQ(params.count(), 11);
  for (float v : params[0].ToVector<float>()) EXPECT_LE(std::abs(v), 0.5f);
  for (float v : params[1].ToVector<float>()) EXPECT_EQ(v, 0.25f);
  params.flat_values().Fill(3.0);  // the parameters are views into the flat buffer
  EXPECT_EQ(params[1].ToVector<float>()[4], 3.0f);
  EXPECT_THROW(params.Declare("c", {1}, Init::Constant(0)), Error);  // after Allocate
}

}  // namespace
}  // namespace latent

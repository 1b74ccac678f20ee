// The optimizer classes over a model's flat parameter buffer (the update kernels themselves are
// checked against hand-computed steps in tests/cpu_kernels_test.cc).
#include <gtest/gtest.h>

#include <cmath>

#include "core/ops.h"
#include "core/optim.h"

namespace latent {
namespace {

// f(p) = sum(p^2) / 2 has gradient p.
void QuadraticBackward(Parameters& params) {
  params.ZeroGrad();
  Scale(Sum(Square(params[0])), 0.5).Backward();
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

TEST(Optim, BadHyperparametersAreRejected) {
  Parameters params;
  params.Declare("p", {2}, Init::Constant(1.0));
  params.Allocate(Device::Cpu(), 1);
  EXPECT_THROW(Adam(params, -1e-3), Error);
  EXPECT_THROW(Adam(params, 1e-3, 1.0), Error);
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

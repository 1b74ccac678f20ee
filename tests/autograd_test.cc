// The autograd engine: accumulation, graph freeing, NoGradGuard, multi-output nodes, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::Leaf;

TEST(Autograd, InputUsedTwiceGetsBothContributions) {
  Tensor x = Leaf({1.5, -2.0}, {2});
  Sum(Add(Mul(x, x), x)).Backward();  // d/dx (x^2 + x) = 2x + 1
  EXPECT_EQ(x.grad().ToVector<double>(), (std::vector<double>{4.0, -3.0}));
}

TEST(Autograd, LeafGradientsAccumulateAcrossBackwardCalls) {
  Tensor x = Leaf({2.0}, {1});
  Sum(Scale(x, 3.0)).Backward();
  Sum(Scale(x, 3.0)).Backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 6.0);
  x.ZeroGrad();
  EXPECT_DOUBLE_EQ(x.grad().item(), 0.0);
}

// ZeroGrad only marks the buffer: the next pass writes g + 0 over whatever the buffer holds (NaN
// here, which an add would keep), then later passes add; a read before any pass sees zeros.
TEST(Autograd, ZeroGradMakesTheNextPassOverwriteTheStaleBuffer) {
  const double nan = std::nan("");
  Tensor x = Tensor::FromVector<double>({2.0, -1.0}, {2});
  x.SetRequiresGrad(true, Tensor::FromVector<double>({nan, nan}, {2}));
  x.ZeroGrad();
  Sum(Scale(x, 3.0)).Backward();
  EXPECT_EQ(x.grad().ToVector<double>(), (std::vector<double>{3.0, 3.0}));
  Sum(Scale(x, 3.0)).Backward();
  EXPECT_EQ(x.grad().ToVector<double>(), (std::vector<double>{6.0, 6.0}));

  x.autograd()->grad.Fill(nan);  // stale contents, then marked zero and read before any pass
  x.ZeroGrad();
  EXPECT_EQ(x.grad().ToVector<double>(), (std::vector<double>{0.0, 0.0}));
}

// A first gradient of -0 is stored as +0, as zeroing the buffer and adding -0 to it would: the
// optimizer sees the same bits as before ZeroGrad skipped the fill. (A gradient written in place,
// Linear's weight gradient, is the GEMM's own sum, which can be -0; Adam's update and the
// gradient norm treat the two zeros alike.)
TEST(Autograd, FirstGradientAfterZeroGradIsWrittenAsGPlusZero) {
  Tensor x = Leaf({2.0}, {1});
  Sum(Scale(x, 3.0)).Backward();
  x.ZeroGrad();
  Sum(Scale(x, -0.0)).Backward();  // d/dx (-0 x) = -0
  EXPECT_EQ(x.grad().item(), 0.0);
  EXPECT_FALSE(std::signbit(x.grad().item()));
}

// Whether the weight gradient each Linear node returned is the weight's own gradient buffer, i.e.
// was written in place through GradientDestination().
class LinearWeightGradientWatcher : public TapeObserver {
 public:
  void OnBackward(const Node& node, const std::vector<Tensor>& /*grad_outputs*/,
                  const std::vector<Tensor>& grad_inputs) override {
    if (node.op() != OpKind::kLinear) return;
    const Tensor& w = node.inputs()[1];
    in_place.push_back(grad_inputs[1].raw_data() == w.autograd()->grad.raw_data());
  }
  std::vector<bool> in_place;
};

// After ZeroGrad, the first Linear to reach a weight writes its gradient into the weight's buffer
// itself; a second Linear on the same weight in the same pass then adds through the engine. The
// sum is exact here (small integers), so any lost or doubled contribution shows.
TEST(Autograd, LinearWritesAWeightsFirstGradientInPlace) {
  Tensor w = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor x1 = Tensor::FromVector<double>({1, 0, 2, -1, 1, 0}, {2, 3});
  const Tensor x2 = Tensor::FromVector<double>({3, 1, -2}, {1, 3});
  const auto loss = [&] { return Add(Sum(Linear(x1, w, Tensor())), Sum(Linear(x2, w, Tensor()))); };
  loss().Backward();  // the buffer's first use: a copy of the first gradient
  w.autograd()->grad.Fill(std::nan(""));  // stale contents that an add would keep
  w.ZeroGrad();
  LinearWeightGradientWatcher watcher;
  {
    const TapeObserverGuard guard(&watcher);
    loss().Backward();
  }
  // dW[o, i] = sum_b x1[b, i] + sum_b x2[b, i] for both outputs o: (0 + 3, 1 + 1, 2 - 2).
  EXPECT_EQ(w.grad().ToVector<double>(), (std::vector<double>{3, 2, 0, 3, 2, 0}));
  EXPECT_EQ(watcher.in_place, (std::vector<bool>{true, false}));
}

// A leaf that is two inputs of one node gets no destination: the node's two gradients for it
// would be written over each other. y = w w^T, so d sum(y) / dw[a, k] = 2 sum_i w[i, k].
TEST(Autograd, ALeafTwiceAmongANodesInputsIsAccumulatedNotWrittenInPlace) {
  Tensor w = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Sum(Linear(w, w, Tensor())).Backward();
  w.ZeroGrad();
  LinearWeightGradientWatcher watcher;
  {
    const TapeObserverGuard guard(&watcher);
    Sum(Linear(w, w, Tensor())).Backward();
  }
  EXPECT_EQ(w.grad().ToVector<double>(), (std::vector<double>{10, 14, 18, 10, 14, 18}));
  EXPECT_EQ(watcher.in_place, (std::vector<bool>{false}));
}

TEST(Autograd, DiamondGraphOrdersNodesCorrectly) {
  // y = exp(x); loss = sum(y * y + y): both branches must reach y before y's node runs.
  Tensor x = Leaf({0.5}, {1});
  Tensor y = Exp(x);
  Sum(Add(Mul(y, y), y)).Backward();
  const double e = std::exp(0.5);
  EXPECT_NEAR(x.grad().item(), 2 * e * e + e, 1e-12);
}

TEST(Autograd, DeepChainDoesNotRecurse) {
  Tensor x = Leaf({0.25}, {1});
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = Scale(y, 1.0);  // would overflow a recursive walk
  Sum(y).Backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = Leaf({1.0, 2.0}, {2});
  Tensor loss = Sum(Square(x));
  std::weak_ptr<Node> node = loss.grad_fn();
  loss.Backward();
  ASSERT_FALSE(node.expired());  // the loss still points at its node...
  EXPECT_TRUE(node.lock()->freed());  // ...but the node dropped its inputs and saved tensors
  EXPECT_TRUE(node.lock()->inputs().empty());
  EXPECT_THROW(loss.Backward(), Error);  // a second pass through a freed graph is an error
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = Leaf({1.0}, {1});
  {
    NoGradGuard no_grad;
    Tensor y = Square(x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE(Square(x).requires_grad());
}

TEST(Autograd, BackwardNeedsAScalarThatRequiresGrad) {
  Tensor x = Leaf({1.0, 2.0}, {2});
  EXPECT_THROW(Square(x).Backward(), Error);  // two elements
  Tensor c = Tensor::FromVector<double>({1.0}, {1});
  EXPECT_THROW(Sum(c).Backward(), Error);  // nothing requires a gradient
}

TEST(Autograd, MultiOutputNodeWithOneOutputUnused) {
  // Only kl is used: dz is missing and the backward must treat it as zero.
  Tensor mu = Leaf({0.3, -0.2}, {1, 2});
  Tensor lv = Leaf({0.1, 0.4}, {1, 2});
  ReparamKlResult r = ReparamKl(mu, lv, 1, 0);
  Sum(r.kl).Backward();
  const std::vector<double> dmu = mu.grad().ToVector<double>();
  const std::vector<double> dlv = lv.grad().ToVector<double>();
  EXPECT_NEAR(dmu[0], 0.3, 1e-12);  // dKL/dmu = mu
  EXPECT_NEAR(dlv[1], 0.5 * (std::exp(0.4) - 1.0), 1e-12);  // dKL/dlogvar = (exp(lv) - 1) / 2
}

TEST(Autograd, ShapeMismatchNamesBothShapes) {
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Leaf({1, 2, 3, 4, 5, 6}, {3, 2});
  try {
    Add(a, b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(3, 2)"), std::string::npos) << e.what();
  }
  try {
    Matmul(a, a);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("inner dimensions"), std::string::npos) << e.what();
  }
}

TEST(Tensor, ViewsShareStorageAndCheckSizes) {
  Tensor t = Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor rows = t.Rows(1, 3);
  EXPECT_EQ(rows.ToVector<float>(), (std::vector<float>{3, 4, 5, 6}));
  rows.Fill(0.0);
  EXPECT_EQ(t.ToVector<float>(), (std::vector<float>{1, 2, 0, 0, 0, 0}));
  EXPECT_THROW(t.View({4, 2}), Error);
  EXPECT_THROW(t.Rows(2, 4), Error);
  EXPECT_THROW(t.data<double>(), Error);  // wrong dtype
}

TEST(Tensor, DTypeConversionAndDeviceErrors) {
  Tensor t = Tensor::FromVector<float>({1.5f, -2.0f}, {2});
  EXPECT_EQ(t.ToDType(DType::kF64).ToVector<double>(), (std::vector<double>{1.5, -2.0}));
  EXPECT_THROW(Device::Parse("gpu"), Error);
  EXPECT_EQ(Device::Parse("cuda:3").index, 3);
  EXPECT_EQ(Device::Parse("cpu"), Device::Cpu());
}

}  // namespace
}  // namespace latent

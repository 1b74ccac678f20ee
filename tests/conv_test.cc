// Tests for conv2d and conv_transpose2d on the CPU: the direct loops (the specification) against
// hand-computed cases, the im2col + GEMM path against the direct loops, the output-size formulas,
// the transposed conv as the adjoint of the conv, gradients of configurations the op table does
// not cover, the layers' shapes and initialization, and the errors for bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/autograd.h"
#include "core/gradcheck.h"
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "kernels/conv.h"
#include "tests/conv_check.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using kernels::ConvShape;

std::vector<float> ToFloat(const std::vector<double>& v) { return {v.begin(), v.end()}; }

// Runs a kernel through the direct loops (f64) and the im2col path (f32) on the same inputs; both
// must give `want` exactly: the hand cases use small integers and halves, which every summation
// order adds without rounding.
void ExpectBothPaths(const std::vector<double>& want, const std::function<void(double*)>& direct,
                     const std::function<void(float*)>& im2col) {
  std::vector<double> d(want.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<float> f(want.size(), std::numeric_limits<float>::quiet_NaN());
  direct(d.data());
  im2col(f.data());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(d[i], want[i]) << "direct loops, element " << i;
    EXPECT_EQ(f[i], want[i]) << "im2col path, element " << i;
  }
}

// Fields: B, C, H, W, K, OH, OW, KH, KW, stride, padding.
// x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 2], [3, 4]]; stride 1, no padding.
const ConvShape kStride1{1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 0};
// The same x and w with stride 2 and padding 1: the 5 x 5 padded image, 2 x 2 windows, 2 apart.
const ConvShape kStride2Pad1{1, 1, 3, 3, 1, 2, 2, 2, 2, 2, 1};
const std::vector<double> kX = {1, 2, 3, 4, 5, 6, 7, 8, 9}, kW = {1, 2, 3, 4};

TEST(ConvDirect, ForwardStride1ByHand) {
  // y[i, j] = x[i, j] + 2 x[i, j+1] + 3 x[i+1, j] + 4 x[i+1, j+1] + 0.5
  const std::vector<double> bias = {0.5};
  ExpectBothPaths(
      {37.5, 47.5, 67.5, 77.5},
      [&](double* y) { kernels::Conv2dForwardCpu(kStride1, kX.data(), kW.data(), bias.data(), y); },
      [&](float* y) {
        kernels::Conv2dForwardIm2colCpu(kStride1, ToFloat(kX).data(), ToFloat(kW).data(),
                                        ToFloat(bias).data(), y);
      });
}

TEST(ConvDirect, ForwardStride2Pad1ByHand) {
  // y[0, 0] sees only x[0, 0] (under w[1, 1]); y[1, 1] the whole lower-right 2 x 2 block.
  ExpectBothPaths(
      {4, 3 * 2 + 4 * 3, 2 * 4 + 4 * 7, 5 + 2 * 6 + 3 * 8 + 4 * 9},
      [&](double* y) {
        kernels::Conv2dForwardCpu<double>(kStride2Pad1, kX.data(), kW.data(), nullptr, y);
      },
      [&](float* y) {
        kernels::Conv2dForwardIm2colCpu(kStride2Pad1, ToFloat(kX).data(), ToFloat(kW).data(),
                                        nullptr, y);
      });
}

TEST(ConvDirect, ForwardMixesChannelsByTheWeightLayout) {
  // x: (1, 2, 2, 2), w: (K = 2, C = 2, 1, 1) = [[1, 10], [-1, 0.5]]: out0 = x0 + 10 x1 + 0.25,
  // out1 = -x0 + 0.5 x1 - 1. A swapped (K, C) layout would give different numbers.
  const ConvShape s{1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0};
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8}, w = {1, 10, -1, 0.5}, bias = {0.25, -1};
  ExpectBothPaths(
      {51.25, 62.25, 73.25, 84.25, 0.5, 0, -0.5, -1},
      [&](double* y) { kernels::Conv2dForwardCpu(s, x.data(), w.data(), bias.data(), y); },
      [&](float* y) {
        kernels::Conv2dForwardIm2colCpu(s, ToFloat(x).data(), ToFloat(w).data(),
                                        ToFloat(bias).data(), y);
      });
}

TEST(ConvDirect, BackwardStride1ByHand) {
  // dy = ones: dx[h, w] sums the weights of the taps covering (h, w) (the centre all four);
  // dw[u, v] sums the 2 x 2 block of x starting at (u, v).
  const std::vector<double> dy = {1, 1, 1, 1};
  ExpectBothPaths(
      {1, 3, 2, 4, 10, 6, 3, 7, 4},
      [&](double* dx) {
        kernels::Conv2dBackwardInputCpu<double>(kStride1, dy.data(), kW.data(), nullptr, dx);
      },
      [&](float* dx) {
        kernels::Conv2dBackwardInputIm2colCpu(kStride1, ToFloat(dy).data(), ToFloat(kW).data(),
                                              nullptr, dx);
      });
  ExpectBothPaths(
      {1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9},
      [&](double* dw) { kernels::Conv2dBackwardWeightCpu(kStride1, kX.data(), dy.data(), dw); },
      [&](float* dw) {
        kernels::Conv2dBackwardWeightIm2colCpu(kStride1, ToFloat(kX).data(), ToFloat(dy).data(),
                                               dw);
      });
}

TEST(ConvDirect, BackwardStride2Pad1ByHand) {
  // With stride 2 and a 2 x 2 kernel each input row h is read by exactly one (output row i,
  // kernel row u): h = 0 <- (0, 1), h = 1 <- (1, 0), h = 2 <- (1, 1); columns alike. So
  // dx[h, w] = dy[i_h, j_w] w[u_h, v_w], and dw[u, v] = sum_{i, j} dy[i, j] x[2i - 1 + u, 2j - 1 +
  // v].
  const std::vector<double> dy = {1, 2, 3, 4};
  ExpectBothPaths(
      {1 * 4, 2 * 3, 2 * 4, 3 * 2, 4 * 1, 4 * 2, 3 * 4, 4 * 3, 4 * 4},
      [&](double* dx) {
        kernels::Conv2dBackwardInputCpu<double>(kStride2Pad1, dy.data(), kW.data(), nullptr, dx);
      },
      [&](float* dx) {
        kernels::Conv2dBackwardInputIm2colCpu(kStride2Pad1, ToFloat(dy).data(), ToFloat(kW).data(),
                                              nullptr, dx);
      });
  ExpectBothPaths(
      {4 * 5, 3 * 4 + 4 * 6, 2 * 2 + 4 * 8, 1 * 1 + 2 * 3 + 3 * 7 + 4 * 9},
      [&](double* dw) { kernels::Conv2dBackwardWeightCpu(kStride2Pad1, kX.data(), dy.data(), dw); },
      [&](float* dw) {
        kernels::Conv2dBackwardWeightIm2colCpu(kStride2Pad1, ToFloat(kX).data(), ToFloat(dy).data(),
                                               dw);
      });
}

TEST(ConvTransposeDirect, StrideTwoStampsTheKernel) {
  // x_t = [[1, 2], [3, 4]], w = [[1, 10], [100, 1000]], stride 2: each input pixel stamps the
  // kernel, scaled, into its own 2 x 2 block of the 4 x 4 output. The ConvShape is that of the
  // conv being transposed: input 4 x 4, output 2 x 2.
  const std::vector<double> x = {1, 2, 3, 4}, w = {1, 10, 100, 1000};
  const ConvShape s{1, 1, 4, 4, 1, 2, 2, 2, 2, 2, 0};
  ExpectBothPaths(
      {1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000},
      [&](double* y) {
        kernels::ConvTranspose2dForwardCpu<double>(s, x.data(), w.data(), nullptr, y);
      },
      [&](float* y) {
        kernels::ConvTranspose2dForwardIm2colCpu(s, ToFloat(x).data(), ToFloat(w).data(), nullptr,
                                                 y);
      });
  // Padding 1 crops one pixel off every side: (2 - 1) 2 - 2 + 2 = 2.
  const ConvShape cropped{1, 1, 2, 2, 1, 2, 2, 2, 2, 2, 1};
  ExpectBothPaths(
      {1000, 200, 30, 4},
      [&](double* y) {
        kernels::ConvTranspose2dForwardCpu<double>(cropped, x.data(), w.data(), nullptr, y);
      },
      [&](float* y) {
        kernels::ConvTranspose2dForwardIm2colCpu(cropped, ToFloat(x).data(), ToFloat(w).data(),
                                                 nullptr, y);
      });
}

TEST(ConvTransposeDirect, WeightLayoutIsInOut) {
  // x_t: (1, 1, 1, 2) = [3, 4]; w: (in 1, out 2, 1, 1) = [2, -1]; bias (2) = [0.5, 0].
  const std::vector<double> x = {3, 4}, w = {2, -1}, bias = {0.5, 0};
  const ConvShape s{1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 0};
  ExpectBothPaths(
      {6.5, 8.5, -3, -4},
      [&](double* y) { kernels::ConvTranspose2dForwardCpu(s, x.data(), w.data(), bias.data(), y); },
      [&](float* y) {
        kernels::ConvTranspose2dForwardIm2colCpu(s, ToFloat(x).data(), ToFloat(w).data(),
                                                 ToFloat(bias).data(), y);
      });
}

TEST(ConvShapes, OutputSizeFormulas) {
  EXPECT_EQ(kernels::ConvOutSize(28, 4, 2, 1), 14);  // the MNIST encoder
  EXPECT_EQ(kernels::ConvOutSize(14, 4, 2, 1), 7);
  EXPECT_EQ(kernels::ConvOutSize(28, 3, 1, 1), 28);  // "same" padding
  EXPECT_EQ(kernels::ConvOutSize(6, 3, 2, 1), 3);    // (6 + 2 - 3) / 2 = 2.5: floor
  EXPECT_EQ(kernels::ConvOutSize(5, 5, 1, 0), 1);
  EXPECT_EQ(kernels::ConvTransposeOutSize(7, 4, 2, 1, 0), 14);  // the MNIST decoder
  EXPECT_EQ(kernels::ConvTransposeOutSize(14, 4, 2, 1, 0), 28);
  EXPECT_EQ(kernels::ConvTransposeOutSize(7, 3, 2, 1, 1), 14);
  EXPECT_EQ(kernels::ConvTransposeOutSize(3, 2, 3, 0, 0), 8);
}

TEST(ConvShapes, TransposeRestoresEveryConvInputSize) {
  // For every input size a conv accepts, some output_padding in [0, s) makes the transposed conv
  // give that size back: the one the floor in the conv's formula discarded.
  for (int64_t k = 1; k <= 5; ++k)
    for (int64_t s = 1; s <= 3; ++s)
      for (int64_t p = 0; p < k; ++p)
        for (int64_t h = std::max<int64_t>(1, k - 2 * p); h <= 12; ++h) {
          const int64_t out = kernels::ConvOutSize(h, k, s, p), op = (h + 2 * p - k) % s;
          EXPECT_EQ(kernels::ConvTransposeOutSize(out, k, s, p, op), h)
              << "k " << k << " s " << s << " p " << p << " h " << h;
        }
}

TEST(ConvLayers, MnistAutoencoderShapesAndInit) {
  Parameters params;
  Conv2dLayer enc1(params, "enc1", 1, 32, 4, 2, 1), enc2(params, "enc2", 32, 64, 4, 2, 1);
  ConvTranspose2dLayer dec1(params, "dec1", 64, 32, 4, 2, 1), dec2(params, "dec2", 32, 1, 4, 2, 1);
  params.Allocate(Device::Cpu(), 3);
  EXPECT_EQ(enc2.weight().shape(), Shape({64, 32, 4, 4}));
  EXPECT_EQ(dec1.weight().shape(), Shape({64, 32, 4, 4}));  // (in, out, k, k)
  EXPECT_EQ(dec2.bias().shape(), Shape({1}));
  NoGradGuard no_grad;
  const Tensor h1 = enc1(Tensor::Zeros({2, 1, 28, 28})), h2 = enc2(h1);
  const Tensor g1 = dec1(h2), g2 = dec2(g1);
  EXPECT_EQ(h1.shape(), Shape({2, 32, 14, 14}));
  EXPECT_EQ(h2.shape(), Shape({2, 64, 7, 7}));
  EXPECT_EQ(g1.shape(), Shape({2, 32, 14, 14}));
  EXPECT_EQ(g2.shape(), Shape({2, 1, 28, 28}));
  // PyTorch's bounds 1/sqrt(fan_in): fan_in = in k k = 16 for enc1, and for the transposed conv
  // dec2 the weight's dimension 1 (out = 1) times k k = 16 as well. Either mixed up (in and out
  // swapped) would give 1/sqrt(512): the largest of 512 uniform draws is within 5% of the bound
  // except with probability 0.95^512 ~ 4e-12.
  for (const Tensor* w : {&enc1.weight(), &dec2.weight()}) {
    double largest = 0;
    for (float v : w->ToVector<float>()) largest = std::max(largest, std::abs(double{v}));
    EXPECT_LE(largest, 0.25);
    EXPECT_GT(largest, 0.95 * 0.25);
  }
}

TEST(ConvAdjoint, TransposeIsTheAdjointOfConv) {
  // <conv(x), y> = <x, convT(y)> with one weight, in f64, including the floor case (output
  // padding) and a stride larger than the kernel.
  struct Config {
    int64_t B, C, H, W, K, KH, KW, s, p;
  };
  for (const Config& c : {Config{2, 3, 7, 7, 4, 3, 3, 2, 1}, Config{1, 2, 6, 8, 3, 4, 4, 2, 1},
                          Config{2, 2, 8, 6, 3, 3, 3, 2, 1}, Config{1, 3, 10, 11, 2, 2, 3, 3, 0}}) {
    const int64_t OH = kernels::ConvOutSize(c.H, c.KH, c.s, c.p);
    const int64_t OW = kernels::ConvOutSize(c.W, c.KW, c.s, c.p);
    const int64_t op = (c.H + 2 * c.p - c.KH) % c.s;  // the configs share it along h and w
    ASSERT_EQ(op, (c.W + 2 * c.p - c.KW) % c.s);
    const Tensor x = RandomNormal({c.B, c.C, c.H, c.W}, 1, 0, DType::kF64);
    const Tensor y = RandomNormal({c.B, c.K, OH, OW}, 1, 1, DType::kF64);
    const Tensor w = RandomNormal({c.K, c.C, c.KH, c.KW}, 1, 2, DType::kF64);
    const double lhs = Sum(Mul(Conv2d(x, w, Tensor(), c.s, c.p), y)).item();
    const double rhs = Sum(Mul(x, ConvTranspose2d(y, w, Tensor(), c.s, c.p, op))).item();
    EXPECT_NEAR(lhs, rhs, 1e-12 * (1 + std::abs(lhs))) << "H " << c.H << " s " << c.s;
  }
}

// f64 central differences for configurations the op table's rows do not cover.
void ExpectGradientsMatch(bool transposed, const Shape& xs, const Shape& ws, bool bias,
                          int64_t stride, int64_t padding, int64_t output_padding) {
  std::vector<Tensor> in = {RandomUniform(xs, 5, 0, DType::kF64),
                            RandomUniform(ws, 5, 1, DType::kF64)};
  if (bias) in.push_back(RandomUniform({transposed ? ws[1] : ws[0]}, 5, 2, DType::kF64));
  for (Tensor& t : in) t.SetRequiresGrad(true);
  auto apply = [&] {
    const Tensor b = bias ? in[2] : Tensor();
    return transposed ? ConvTranspose2d(in[0], in[1], b, stride, padding, output_padding)
                      : Conv2d(in[0], in[1], b, stride, padding);
  };
  Tensor r;
  {
    NoGradGuard no_grad;
    r = RandomNormal(apply().shape(), 6, 0, DType::kF64);
  }
  for (const GradCheckEntry& e :
       GradCheck([&] { return Sum(Mul(apply(), r)); }, in, {}, 1e-6, 1e-5))
    EXPECT_TRUE(e.passed) << e.name << ": max abs error " << e.max_abs_error;
}

TEST(ConvGrad, MoreConfigurations) {
  ExpectGradientsMatch(false, {2, 2, 5, 4}, {3, 2, 2, 3}, false, 1, 0, 0);  // non-square kernel
  ExpectGradientsMatch(false, {1, 2, 7, 8}, {2, 2, 4, 3}, true, 3, 2, 0);   // wide padding
  ExpectGradientsMatch(true, {2, 3, 3, 4}, {3, 2, 3, 3}, true, 2, 1, 1);    // output padding
  ExpectGradientsMatch(true, {1, 2, 3, 2}, {2, 3, 2, 2}, false, 3, 0, 0);   // stride > kernel
}

class ConvIm2col : public ::testing::TestWithParam<testing::ConvCase> {};

TEST_P(ConvIm2col, MatchesDirectLoops) {
  testing::ExpectConvMatchesDirectLoops(GetParam(), Device::Cpu(), 11);
}

INSTANTIATE_TEST_SUITE_P(Cases, ConvIm2col,
                         ::testing::ValuesIn(testing::ConvCases(/*mnist_batch=*/16,
                                                                /*chunk_batch=*/3)),
                         [](const auto& info) { return std::string(info.param.name); });

#ifdef _OPENMP
// On one thread the forward and the input gradient also run in smaller chunks of images (4 here,
// against 1 chunk on 3 threads; kernels/cpu/conv_im2col.cc): bit for bit the same results.
TEST(ConvIm2col, ResultsDoNotDependOnTheThreadCount) {
  const testing::ConvCase c = testing::ConvCases(16, 1)[1];  // the second MNIST encoder layer
  const testing::ConvValues v = testing::MakeConvValues(c, testing::ConvCaseOutputShape(c), 3);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const testing::ConvRun one = testing::RunConvCase(c, v, DType::kF32, Device::Cpu());
  omp_set_num_threads(3);
  const testing::ConvRun three = testing::RunConvCase(c, v, DType::kF32, Device::Cpu());
  omp_set_num_threads(threads);
  EXPECT_EQ(one.y.ToVector<float>(), three.y.ToVector<float>());
  EXPECT_EQ(one.dx.ToVector<float>(), three.dx.ToVector<float>());
  EXPECT_EQ(one.dw.ToVector<float>(), three.dw.ToVector<float>());
  EXPECT_EQ(one.db.ToVector<float>(), three.db.ToVector<float>());
}
#endif

using latent::testing::ExpectErrorContaining;

TEST(ConvErrors, SayWhatWasExpectedAndWhatWasFound) {
  const Tensor x = Tensor::Zeros({2, 1, 28, 28}), w = Tensor::Zeros({32, 1, 4, 4});
  const Tensor b = Tensor::Zeros({32});
  ExpectErrorContaining(
      [&] {
        Conv2d(Tensor::Zeros({1, 28, 28}), w, b, 2, 1);
      },
      {"conv2d", "(B, C, H, W)", "(1, 28, 28)"});
  ExpectErrorContaining(
      [&] {
        Conv2d(x, Tensor::Zeros({32, 16}), b, 2, 1);
      },
      {"conv2d", "(out_channels, in_channels, KH, KW)", "(32, 16)"});
  ExpectErrorContaining(
      [&] {
        Conv2d(Tensor::Zeros({2, 3, 28, 28}), w, b, 2, 1);
      },
      {"conv2d", "input has 3 channels", "weight expects 1"});
  ExpectErrorContaining([&] { Conv2d(x, w, Tensor::Zeros({31}), 2, 1); },
                        {"conv2d", "bias of shape (32,)", "(31,)"});
  ExpectErrorContaining(
      [&] {
        Conv2d(Tensor::Zeros({2, 1, 2, 2}), w, b, 1, 0);
      },
      {"conv2d", "kernel 4x4", "padded input 2x2"});
  ExpectErrorContaining(
      [&] {
        Conv2d(Tensor::Zeros({2, 1, 0, 28}), w, b, 1, 2);
      },
      {"conv2d", "non-empty image", "(2, 1, 0, 28)"});
  ExpectErrorContaining([&] { Conv2d(x, w, b, 0, 1); }, {"conv2d", "stride >= 1", "found 0"});
  ExpectErrorContaining([&] { Conv2d(x, w, b, 2, -1); }, {"conv2d", "padding >= 0", "found -1"});
  ExpectErrorContaining([&] { Conv2d(x, w.ToDType(DType::kF64), b, 2, 1); },
                        {"conv2d", "f32", "f64"});
  const Tensor h = Tensor::Zeros({2, 64, 7, 7}), wt = Tensor::Zeros({64, 32, 4, 4});
  ExpectErrorContaining(
      [&] {
        ConvTranspose2d(h, Tensor::Zeros({32, 64, 4, 4}), Tensor(), 2, 1);
      },
      {"conv_transpose2d", "input has 64 channels", "weight expects 32"});
  ExpectErrorContaining([&] { ConvTranspose2d(h, wt, Tensor::Zeros({64}), 2, 1); },
                        {"conv_transpose2d", "bias of shape (32,)", "(64,)"});
  ExpectErrorContaining([&] { ConvTranspose2d(h, wt, Tensor(), 2, 1, 2); },
                        {"conv_transpose2d", "output_padding < stride = 2", "found 2"});
  ExpectErrorContaining(
      [&] {
        ConvTranspose2d(Tensor::Zeros({1, 1, 1, 1}), Tensor::Zeros({1, 1, 1, 1}), Tensor(), 1, 1);
      },
      {"conv_transpose2d", "output would be -1x-1"});
}

}  // namespace
}  // namespace latent

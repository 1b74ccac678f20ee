// Shared by tests/conv_test.cc (CPU) and tests/conv_cuda_test.cc (GPU): runs a conv op in f32 on
// a device and the direct loops, the specification, in f64 on the same values, and compares the
// output and every input gradient.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "kernels/conv.h"

namespace latent::testing {

struct ConvCase {
  const char* name;
  bool transposed;
  Shape x, w;  // x: (B, C, H, W); w: (K, C, KH, KW) for conv2d, (C, K, KH, KW) for the transpose
  int64_t stride, padding, output_padding;
  bool bias;
};

// The MNIST conv autoencoder's four layers at batch `mnist_batch`; odd shapes (non-square images
// and kernels, strides that leave rows unused or pixels no kernel tap reaches, output padding,
// no bias, a single pixel, kernel rows that only ever read padding); and a conv whose column
// matrix exceeds the im2col paths' per-chunk budget from batch `chunk_batch` on (1.6 million
// floats an image: CPU chunks hold 2 images, CUDA chunks 20), so several chunks and the
// accumulation of dw across them are exercised. (On one thread the CPU's forward and input-gradient
// chunks hold 128 Ki floats: there the MNIST layers at batch 16 take several too.)
inline std::vector<ConvCase> ConvCases(int64_t mnist_batch, int64_t chunk_batch) {
  const int64_t B = mnist_batch;
  return {
      {"mnist_encoder1", false, {B, 1, 28, 28}, {32, 1, 4, 4}, 2, 1, 0, true},
      {"mnist_encoder2", false, {B, 32, 14, 14}, {64, 32, 4, 4}, 2, 1, 0, true},
      {"mnist_decoder1", true, {B, 64, 7, 7}, {64, 32, 4, 4}, 2, 1, 0, true},
      {"mnist_decoder2", true, {B, 32, 14, 14}, {32, 1, 4, 4}, 2, 1, 0, true},
      {"odd_kernel_no_bias", false, {3, 5, 13, 7}, {7, 5, 3, 2}, 1, 0, 0, false},
      {"odd_stride3", false, {2, 3, 11, 9}, {5, 3, 5, 4}, 3, 2, 0, true},
      {"odd_transpose_output_padding", true, {3, 7, 5, 4}, {7, 3, 3, 3}, 2, 1, 1, true},
      {"odd_transpose_gaps", true, {2, 4, 3, 5}, {4, 6, 2, 2}, 3, 0, 0, false},
      {"one_pixel", false, {1, 1, 1, 1}, {1, 1, 1, 1}, 1, 0, 0, true},
      {"kernel_wider_than_image", false, {2, 2, 1, 2}, {3, 2, 3, 3}, 1, 1, 0, true},
      {"many_chunks", false, {chunk_batch, 16, 64, 64}, {2, 16, 5, 5}, 1, 2, 0, true},
  };
}

// gtest prints a parameter with this: the case's name instead of its bytes.
inline void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

inline Shape ConvCaseOutputShape(const ConvCase& c) {
  if (c.transposed) {
    auto size = [&](int64_t in, int64_t k) {
      return kernels::ConvTransposeOutSize(in, k, c.stride, c.padding, c.output_padding);
    };
    return {c.x[0], c.w[1], size(c.x[2], c.w[2]), size(c.x[3], c.w[3])};
  }
  auto size = [&](int64_t in, int64_t k) {
    return kernels::ConvOutSize(in, k, c.stride, c.padding);
  };
  return {c.x[0], c.w[0], size(c.x[2], c.w[2]), size(c.x[3], c.w[3])};
}

inline Tensor ApplyConvCase(const ConvCase& c, const Tensor& x, const Tensor& w, const Tensor& b) {
  return c.transposed ? ConvTranspose2d(x, w, b, c.stride, c.padding, c.output_padding)
                      : Conv2d(x, w, b, c.stride, c.padding);
}

// The output and input gradients of sum(y * r), y = the case applied to x, w, b.
struct ConvRun {
  Tensor y, dx, dw, db;
};

// Input values: float, so the f32 and f64 runs see exactly the same numbers.
struct ConvValues {
  std::vector<float> x, w, b, r;
};

inline std::vector<float> UniformFloats(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& e : v) e = u(rng);
  return v;
}

inline ConvValues MakeConvValues(const ConvCase& c, const Shape& y_shape, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t bias_size = c.transposed ? c.w[1] : c.w[0];
  return {UniformFloats(c.x.numel(), rng), UniformFloats(c.w.numel(), rng),
          UniformFloats(c.bias ? bias_size : 0, rng), UniformFloats(y_shape.numel(), rng)};
}

// Runs the case in `dtype` on `device`; with `magnitudes`, on the absolute values instead, which
// gives sum |term| for every element of every result: the scale of its rounding error.
inline ConvRun RunConvCase(const ConvCase& c, const ConvValues& v, DType dtype, Device device,
                           bool magnitudes = false) {
  auto tensor = [&](const std::vector<float>& values, const Shape& shape, bool grad) {
    std::vector<double> d(values.begin(), values.end());
    if (magnitudes)
      for (double& e : d) e = std::abs(e);
    Tensor t = Tensor::FromVector(d, shape).ToDType(dtype).To(device);
    if (grad) t.SetRequiresGrad(true);
    return t;
  };
  Tensor x = tensor(v.x, c.x, true), w = tensor(v.w, c.w, true);
  Tensor b = c.bias ? tensor(v.b, {static_cast<int64_t>(v.b.size())}, true) : Tensor();
  ConvRun run;
  run.y = ApplyConvCase(c, x, w, b);
  Sum(Mul(run.y, tensor(v.r, run.y.shape(), false))).Backward();
  run.dx = x.grad();
  run.dw = w.grad();
  if (c.bias) run.db = b.grad();
  return run;
}

// |got - want| <= 8 sqrt(n) 2^-24 mag per element, mag = the sum of |terms| of that element and n
// their number. The f64 reference is exact to ~1e-16 relative to mag, so the difference is the
// f32 path's rounding: n roundings, each at most 2^-24 of a partial sum (<= mag), with random
// signs, i.e. about sqrt(n) 2^-24 mag; 8x that is a margin. A wrong index instead replaces a sum
// of n random-sign terms, changing it by about mag / sqrt(n): over 20x the tolerance for every
// n here (n <= 10^5).
inline void ExpectWithinRounding(const Tensor& got, const Tensor& want, const Tensor& mag, double n,
                                 const std::string& what) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<float> g = got.To(Device::Cpu()).ToVector<float>();
  const std::vector<double> r = want.ToVector<double>(), m = mag.ToVector<double>();
  const double tol = 8.0 * std::sqrt(n) * std::ldexp(1.0, -24);
  int reported = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    if (!(std::abs(g[i] - r[i]) <= tol * m[i]) && reported++ < 5)
      ADD_FAILURE() << what << " element " << i << ": got " << g[i] << ", want " << r[i]
                    << " (sum of |terms| " << m[i] << ", tolerance " << tol * m[i] << ")";
  }
}

// The case in f32 on `device` against the direct loops in f64 on the CPU.
inline void ExpectConvMatchesDirectLoops(const ConvCase& c, Device device, uint32_t seed) {
  const Shape y_shape = ConvCaseOutputShape(c);
  const ConvValues v = MakeConvValues(c, y_shape, seed);
  const ConvRun got = RunConvCase(c, v, DType::kF32, device);
  const ConvRun want = RunConvCase(c, v, DType::kF64, Device::Cpu());
  const ConvRun mag = RunConvCase(c, v, DType::kF64, Device::Cpu(), /*magnitudes=*/true);
  // Terms per element (upper bounds): an output sums its input channels' taps and the bias; dx
  // the output channels' taps; dw and db every (image, pixel) of the larger image.
  const double taps = static_cast<double>(c.w[2] * c.w[3]);
  const double pixels =
      static_cast<double>(c.x[0] * std::max(c.x[2] * c.x[3], y_shape[2] * y_shape[3]));
  const std::string name = c.name;
  ExpectWithinRounding(got.y, want.y, mag.y, c.x[1] * taps + 1, name + " output");
  ExpectWithinRounding(got.dx, want.dx, mag.dx, y_shape[1] * taps, name + " input gradient");
  ExpectWithinRounding(got.dw, want.dw, mag.dw, pixels, name + " weight gradient");
  if (c.bias) ExpectWithinRounding(got.db, want.db, mag.db, pixels, name + " bias gradient");
}

}  // namespace latent::testing

// The one table of differentiable ops: for each, its name, its forward and derivative formulas as
// text, the input range and tolerances for gradient checks, and whether a CUDA kernel exists.
// The parameterized test in tests/op_table_test.cc walks this table (finite differences in double
// precision on the CPU; CPU against CUDA on a GPU), and `latent ops` renders it for
// docs/gradients.md, so code, tests and documentation cannot drift apart.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/shape.h"

namespace latent {

class Tensor;

enum class OpKind : int {
  kMatmul, kLinear, kAdd, kSub, kMul, kScale, kSum, kMean,
  kRelu, kLeakyRelu, kSigmoid, kTanh, kSoftplus, kExp, kLog, kSquare,
  kReshape, kConcat, kGatherRows, kBceWithLogits, kMse, kReparamKl,
  kAbs, kAddScalar, kDropout, kRowSum, kColumnSum, kSoftmaxCrossEntropy,
  kConv2d, kConvTranspose2d, kLinearAct, kBroadcast,
  kCount  // keep last
};
constexpr size_t kNumOps = static_cast<size_t>(OpKind::kCount);

struct OpInfo {
  OpKind kind;
  const char* name;
  const char* forward;     // what the op computes
  const char* derivative;  // its derivative(s), as the backward function implements them
  // Gradient checks draw every floating-point input uniformly from [lo, hi] (chosen to avoid
  // kinks and poles, e.g. log needs x > 0), compare autograd with central differences in f64.
  double lo, hi;
  double atol, rtol;
  bool has_cuda;
  // The input shapes of the check, and a function applying the op to them (fixing any
  // non-tensor argument) and returning one tensor. Dimensions are written with the sizes 2, 3,
  // 4 and 5 used as names: the CUDA comparison substitutes other sizes for each, consistently
  // across inputs, so apply() must work for any sizes.
  std::vector<Shape> check_shapes;
  Tensor (*apply)(const std::vector<Tensor>& inputs);
  // Set for ops whose dimensions are tied together by their non-tensor arguments (a convolution's
  // image and kernel sizes with its stride and padding), which substituted sizes would break: the
  // CUDA comparison then runs check_shapes as written, and real_shapes (a model's real layer).
  bool fixed_shapes = false;
  std::vector<Shape> real_shapes = {};
};

const OpInfo& GetOpInfo(OpKind kind);
const OpInfo* AllOps();  // kNumOps entries, in OpKind order
const char* OpName(OpKind kind);
// The table as Markdown (op, forward, derivative, CUDA kernel): `latent ops` prints it and
// docs/gradients.md embeds it; a test keeps the two identical.
std::string OpTableMarkdown();

}  // namespace latent

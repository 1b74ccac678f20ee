// The one table of differentiable ops: for each, its name, its forward and derivative formulas as
// text, and the input range and tolerances for gradient checks. Every op has a CUDA kernel.
// The parameterized test in tests/op_table_test.cc walks this table (finite differences in double
// precision on the CPU; CPU against CUDA on a GPU), and `latent ops` renders it for
// docs/gradients.md, so code, tests and documentation cannot drift apart.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/shape.h"
#include "kernels/elementwise.h"

namespace latent {

class Tensor;

// The ops autograd records, one row of the table each. An activation (kernels::Activation, the
// list the kernels switch on) is an op too, but OpKind does not list them a second time: they
// follow the other ops, in their own order, and OpKindOf numbers them. kIdentity, a linear
// layer's "no activation", is no op: it is the first activation, and OpKindOf skips it.
enum class OpKind : int {
  kMatmul,
  kLinear,
  kAdd,
  kSub,
  kMul,
  kSum,
  kMean,
  kReshape,
  kConcat,
  kGatherRows,
  kBceWithLogits,
  kMse,
  kReparamKl,
  kDropout,
  kRowSum,
  kColumnSum,
  kSoftmaxCrossEntropy,
  kConv2d,
  kConvTranspose2d,
  kLinearAct,
  kBroadcast,
  kRowLogSumExp,
  kFirstActivation  // OpKindOf(Activation::kRelu), then the other activations; keep last
};
static_assert(static_cast<int>(kernels::Activation::kIdentity) == 0,
              "OpKindOf skips kIdentity as the first activation");
constexpr OpKind OpKindOf(kernels::Activation act) {
  return static_cast<OpKind>(static_cast<int>(OpKind::kFirstActivation) + static_cast<int>(act) -
                             1);
}
constexpr size_t kNumOps =
    static_cast<size_t>(OpKind::kFirstActivation) + kernels::kNumActivations - 1;

struct OpInfo {
  OpKind kind;
  const char* name;
  const char* forward;     // what the op computes
  const char* derivative;  // its derivative(s), as the backward function implements them
  // Gradient checks draw every floating-point input uniformly from [lo, hi] (chosen to avoid
  // kinks and poles, e.g. log needs x > 0), compare autograd with central differences in f64.
  double lo, hi;
  double atol, rtol;
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
// The table as Markdown (op, forward, derivative): `latent ops` prints it and docs/gradients.md
// embeds it; a test keeps the two identical.
std::string OpTableMarkdown();

}  // namespace latent

// The op table. Each row: name, forward, derivative (as the backward implements it), gradient
// check range and tolerances, check shapes, and how to apply the op.
//
// Tolerances: the checks run in f64 with central differences of step h = 1e-6, whose error is
// O(h^2 f''') + O(eps_f64 / h) ~ 1e-10; atol 1e-6 / rtol 1e-5 leaves a wide margin for that while
// still catching any wrong derivative (an error in a formula shows up at O(1)).
#include "core/op_table.h"

#include <iterator>

#include "core/ops.h"

namespace latent {
namespace {

using kernels::Activation;
using In = const std::vector<Tensor>&;

// Shared by every row: see the comment at the top of the file.
constexpr double kAtol = 1e-6, kRtol = 1e-5;

// One row per op, its fields laid out by hand to read as a table.
// clang-format off
const OpInfo kOps[] = {
    {OpKind::kMatmul, "matmul", "C = A B", "dA = dC B^T;  dB = A^T dC", -1, 1, kAtol, kRtol,
     {{3, 4}, {4, 5}}, [](In x) { return Matmul(x[0], x[1]); }},
    {OpKind::kLinear, "linear", "y = x W^T + b",
     "dx = dy W;  dW = dy^T x;  db = sum over rows of dy", -1, 1, kAtol, kRtol,
     {{3, 4}, {5, 4}, {5}}, [](In x) { return Linear(x[0], x[1], x[2]); }},
    {OpKind::kAdd, "add", "c = a + b", "da = dc;  db = dc", -1, 1, kAtol, kRtol,
     {{3, 4}, {3, 4}}, [](In x) { return Add(x[0], x[1]); }},
    {OpKind::kSub, "sub", "c = a - b", "da = dc;  db = -dc", -1, 1, kAtol, kRtol,
     {{3, 4}, {3, 4}}, [](In x) { return Sub(x[0], x[1]); }},
    {OpKind::kMul, "mul", "c = a * b (elementwise)", "da = dc * b;  db = dc * a", -1, 1, kAtol,
     kRtol, {{3, 4}, {3, 4}}, [](In x) { return Mul(x[0], x[1]); }},
    {OpKind::kSum, "sum", "s = sum_i x_i", "dx_i = ds", -1, 1, kAtol, kRtol, {{3, 4}},
     [](In x) { return Sum(x[0]); }},
    {OpKind::kMean, "mean", "m = (1/n) sum_i x_i", "dx_i = dm / n", -1, 1, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Mean(x[0]); }},
    {OpKind::kReshape, "reshape", "y = x viewed with a new shape (same elements, same order)",
     "dx = dy viewed with x's shape", -1, 1, kAtol, kRtol, {{3, 4}},
     [](In x) { return Reshape(x[0], {x[0].numel()}); }},
    {OpKind::kConcat, "concat", "out = [a | b] (columns)", "da = dout[:, :Da];  db = dout[:, Da:]",
     -1, 1, kAtol, kRtol, {{3, 2}, {3, 4}}, [](In x) { return Concat(x[0], x[1]); }},
    {OpKind::kGatherRows, "gather_rows", "out[b] = x[index[b]]",
     "dx[n] = sum over b with index[b] = n of dout[b]", -1, 1, kAtol, kRtol, {{5, 3}},
     [](In x) {  // the last row is gathered twice: it must receive both gradients
       const int32_t last = static_cast<int32_t>(x[0].size(0) - 1);
       return GatherRows(x[0], Tensor::FromVector<int32_t>({last, 0, last, last / 2}, {4},
                                                           x[0].device()));
     }},
    {OpKind::kBceWithLogits, "bce_with_logits",
     "l_b = sum_j max(x,0) - x t + log(1 + exp(-|x|))  (x logits, t targets)",
     "dx = dl_b * (sigmoid(x) - t);  dt = -dl_b * x", -3, 3, kAtol, kRtol,
     {{3, 4}, {3, 4}}, [](In x) { return BceWithLogits(x[0], x[1]); }},
    {OpKind::kMse, "mse", "l_b = sum_j (a - b)^2", "da = 2 dl_b (a - b);  db = -da", -1, 1, kAtol,
     kRtol, {{3, 4}, {3, 4}}, [](In x) { return Mse(x[0], x[1]); }},
    {OpKind::kReparamKl, "reparam_kl",
     "z = mu + exp(logvar/2) eps, eps ~ N(0, I) from Philox;  "
     "kl_b = -1/2 sum_d (1 + logvar - mu^2 - exp(logvar))",
     "dmu = dz + dkl_b mu;  dlogvar = dz eps exp(logvar/2) / 2 + dkl_b (exp(logvar) - 1) / 2",
     -1.5, 1.5, kAtol, kRtol, {{3, 4}, {3, 4}},
     [](In x) {  // both outputs in one tensor: [z | kl]
       ReparamKlResult r = ReparamKl(x[0], x[1], /*seed=*/7, /*offset=*/3);
       return Concat(r.z, Reshape(r.kl, {r.kl.size(0), 1}));
     }},
    {OpKind::kDropout, "dropout",
     "y = x * keep / (1 - p), keep = [u >= p], u uniform from Philox",
     "dx = dy * keep / (1 - p) (the mask regenerated from the counter)", -1, 1, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Dropout(x[0], 0.3, /*seed=*/5, /*offset=*/2); }},
    {OpKind::kRowSum, "row_sum", "s_r = sum_c x[r, c]", "dx[r, c] = ds_r", -1, 1, kAtol, kRtol,
     {{3, 4}}, [](In x) { return RowSum(x[0]); }},
    {OpKind::kColumnSum, "column_sum", "s_c = sum_r x[r, c]", "dx[r, c] = ds_c", -1, 1, kAtol,
     kRtol, {{3, 4}}, [](In x) { return ColumnSum(x[0]); }},
    {OpKind::kSoftmaxCrossEntropy, "softmax_cross_entropy",
     "l_b = logsumexp_c x[b, c] - x[b, y_b]  (x logits, y integer labels)",
     "dx[b, c] = dl_b * (softmax(x[b])_c - [c = y_b])", -3, 3, kAtol, kRtol, {{3, 4}},
     [](In x) {  // labels cycle through the classes
       std::vector<int32_t> labels(x[0].size(0));
       for (size_t b = 0; b < labels.size(); ++b)
         labels[b] = static_cast<int32_t>(b % x[0].size(1));
       return SoftmaxCrossEntropy(
           x[0], Tensor::FromVector(labels, {x[0].size(0)}, x[0].device()));
     }},
    // Convolutions: stride 2, padding 1 (the conv autoencoders' setting), checked on a
    // non-square image whose height the stride does not divide (the floor drops a row), and
    // compared on a GPU at the MNIST models' second encoder and first decoder layers, batch 8.
    {OpKind::kConv2d, "conv2d",
     "y[b,k,i,j] = bias[k] + sum_{c,u,v} w[k,c,u,v] x[b,c,is-p+u,js-p+v]  (NCHW; s stride, "
     "p padding, x is 0 outside the image; w: (out, in, KH, KW))",
     "dx[b,c,h,w] = sum of dy[b,k,i,j] w[k,c,u,v] over is-p+u = h, js-p+v = w;  "
     "dw[k,c,u,v] = sum_{b,i,j} dy[b,k,i,j] x[b,c,is-p+u,js-p+v];  db[k] = sum_{b,i,j} dy[b,k,i,j]",
     -1, 1, kAtol, kRtol, {{2, 3, 6, 5}, {4, 3, 3, 3}, {4}},
     [](In x) { return Conv2d(x[0], x[1], x[2], /*stride=*/2, /*padding=*/1); },
     /*fixed_shapes=*/true, {{8, 32, 14, 14}, {64, 32, 4, 4}, {64}}},
    {OpKind::kConvTranspose2d, "conv_transpose2d",
     "y[b,c,h,w] = bias[c] + sum of x[b,k,i,j] w[k,c,u,v] over is-p+u = h, js-p+v = w  "
     "(the adjoint of conv2d with weight w: (in, out, KH, KW))",
     "dx = conv2d(dy, w) without bias;  "
     "dw[k,c,u,v] = sum_{b,i,j} x[b,k,i,j] dy[b,c,is-p+u,js-p+v];  db[c] = sum_{b,h,w} dy[b,c,h,w]",
     -1, 1, kAtol, kRtol, {{2, 4, 4, 3}, {4, 3, 3, 3}, {3}},
     [](In x) { return ConvTranspose2d(x[0], x[1], x[2], /*stride=*/2, /*padding=*/1); },
     /*fixed_shapes=*/true, {{8, 64, 7, 7}, {64, 32, 4, 4}, {32}}},
    // One row for the three activations: the check concatenates their outputs, so each one's
    // derivative is checked (and compared on a GPU) from the same inputs.
    {OpKind::kLinearAct, "linear_act",
     "y = act(x W^T + b), act = identity, relu or sigmoid, in one kernel (the GEMM's epilogue)",
     "dz = dy (identity), dy * [y > 0] (relu), dy * y (1 - y) (sigmoid), from the output y;  "
     "dx = dz W;  dW = dz^T x;  db = sum over rows of dz",
     -1, 1, kAtol, kRtol, {{3, 4}, {5, 4}, {5}},
     [](In x) {  // [identity | relu | sigmoid]
       return Concat(Concat(LinearAct(x[0], x[1], x[2], Activation::kIdentity),
                            LinearAct(x[0], x[1], x[2], Activation::kRelu)),
                     LinearAct(x[0], x[1], x[2], Activation::kSigmoid));
     }},
    // A one-element input: no dimension for the CUDA comparison to substitute, so the output
    // shape is chosen here, odd and non-square (a ragged last block on a GPU).
    {OpKind::kBroadcast, "broadcast", "y[i] = x (x one element, y any shape)", "dx = sum_i dy[i]",
     -1, 1, kAtol, kRtol, {Shape()}, [](In x) { return Broadcast(x[0], {7, 31}); }},
    // Inputs over [-3, 3] make the softmax far from uniform, so a wrong weight would show.
    {OpKind::kRowLogSumExp, "row_log_sum_exp",
     "y_r = log sum_c exp(x[r, c]) = m + log sum_c exp(x[r, c] - m), m = max_c x[r, c]",
     "dx[r, c] = dy_r * softmax(x[r])_c  (m is a shift that cancels: not differentiated)", -3, 3,
     kAtol, kRtol, {{3, 4}}, [](In x) { return RowLogSumExp(x[0]); }},
    // The activations (OpKindOf), in kernels::Activation's order.
    {OpKindOf(Activation::kRelu), "relu", "y = max(x, 0)", "dx = dy * [x > 0]", -2, 2, kAtol,
     kRtol, {{3, 4}}, [](In x) { return Relu(x[0]); }},
    {OpKindOf(Activation::kLeakyRelu), "leaky_relu", "y = x if x > 0 else a x",
     "dx = dy * (x > 0 ? 1 : a)", -2, 2, kAtol, kRtol, {{3, 4}},
     [](In x) { return LeakyRelu(x[0], 0.1); }},
    {OpKindOf(Activation::kSigmoid), "sigmoid", "y = 1 / (1 + exp(-x))", "dx = dy * y (1 - y)",
     -4, 4, kAtol, kRtol, {{3, 4}}, [](In x) { return Sigmoid(x[0]); }},
    {OpKindOf(Activation::kTanh), "tanh", "y = tanh x", "dx = dy * (1 - y^2)", -2, 2, kAtol,
     kRtol, {{3, 4}}, [](In x) { return Tanh(x[0]); }},
    {OpKindOf(Activation::kSoftplus), "softplus",
     "y = log(1 + exp x) = max(x, 0) + log1p(exp(-|x|))", "dx = dy * sigmoid(x)", -4, 4, kAtol,
     kRtol, {{3, 4}}, [](In x) { return Softplus(x[0]); }},
    {OpKindOf(Activation::kExp), "exp", "y = exp x", "dx = dy * y", -2, 2, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Exp(x[0]); }},
    {OpKindOf(Activation::kLog), "log", "y = log x", "dx = dy / x", 0.2, 3, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Log(x[0]); }},
    {OpKindOf(Activation::kSquare), "square", "y = x^2", "dx = 2 x dy", -2, 2, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Square(x[0]); }},
    {OpKindOf(Activation::kScale), "scale", "y = s x (s a constant)", "dx = s dy", -1, 1, kAtol,
     kRtol, {{3, 4}}, [](In x) { return Scale(x[0], -1.7); }},
    {OpKindOf(Activation::kAddScalar), "add_scalar", "y = x + c (c a constant)", "dx = dy", -1,
     1, kAtol, kRtol, {{3, 4}}, [](In x) { return AddScalar(x[0], 0.75); }},
    {OpKindOf(Activation::kAbs), "abs", "y = |x|", "dx = dy * sign(x)", -2, 2, kAtol, kRtol,
     {{3, 4}}, [](In x) { return Abs(x[0]); }},
};
// clang-format on

static_assert(std::size(kOps) == kNumOps,
              "every OpKind needs exactly one row in the op table (core/op_table.cc)");

}  // namespace

const OpInfo* AllOps() { return kOps; }

const OpInfo& GetOpInfo(OpKind kind) { return kOps[static_cast<size_t>(kind)]; }

const char* OpName(OpKind kind) { return GetOpInfo(kind).name; }

std::string OpTableMarkdown() {
  auto cell = [](const char* text) {  // a '|' inside a cell would end it: escape it
    std::string s;
    for (const char* c = text; *c; ++c) s += (*c == '|') ? std::string("\\|") : std::string(1, *c);
    return s;
  };
  std::string out = "| op | forward | derivative |\n|---|---|---|\n";
  for (const OpInfo& op : kOps) {
    out += std::string("| `") + op.name + "` | " + cell(op.forward) + " | " + cell(op.derivative) +
           " |\n";
  }
  return out;
}

}  // namespace latent

// Walks the op table: every op gets a double-precision central-difference check of all its
// inputs' gradients on the CPU. (The CPU-vs-CUDA comparison of each op is in
// tests/op_table_cuda_test.cc.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/autograd.h"
#include "core/io/file_util.h"
#include "core/gradcheck.h"
#include "core/op_table.h"
#include "core/ops.h"
#include "core/random.h"

namespace latent {
namespace {

TEST(OpTable, RowsAreInOpKindOrder) {
  for (size_t i = 0; i < kNumOps; ++i) {
    EXPECT_EQ(static_cast<size_t>(AllOps()[i].kind), i) << AllOps()[i].name;
    EXPECT_NE(std::string(AllOps()[i].derivative), "") << AllOps()[i].name;
    EXPECT_LT(AllOps()[i].lo, AllOps()[i].hi) << AllOps()[i].name;
  }
}

// Inputs drawn uniformly from the op's range, as f64 leaves.
std::vector<Tensor> CheckInputs(const OpInfo& op, uint64_t seed) {
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < op.check_shapes.size(); ++k) {
    Tensor u = RandomUniform(op.check_shapes[k], seed, k, DType::kF64);
    Tensor x = Tensor::Empty(u.shape(), DType::kF64);
    for (int64_t i = 0; i < u.numel(); ++i)
      x.data<double>()[i] = op.lo + (op.hi - op.lo) * u.data<double>()[i];
    x.SetRequiresGrad(true);
    inputs.push_back(x);
  }
  return inputs;
}

class OpGradCheck : public ::testing::TestWithParam<size_t> {};

TEST_P(OpGradCheck, AutogradMatchesCentralDifferences) {
  const OpInfo& op = AllOps()[GetParam()];
  std::vector<Tensor> inputs = CheckInputs(op, 42);
  // A random linear functional of the output, so every output element's gradient matters and
  // no two of them can cancel by symmetry.
  Tensor weights;
  {
    NoGradGuard no_grad;
    const Tensor y = op.apply(inputs);
    weights = RandomNormal(y.shape(), 43, 0, DType::kF64);
  }
  auto loss = [&] { return Sum(Mul(op.apply(inputs), weights)); };
  for (const GradCheckEntry& e : GradCheck(loss, inputs, {}, op.atol, op.rtol)) {
    EXPECT_TRUE(e.passed) << op.name << " " << e.name << ": max abs error " << e.max_abs_error
                          << ", max rel error " << e.max_rel_error;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpGradCheck, ::testing::Range<size_t>(0, kNumOps),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(AllOps()[info.param].name);
                         });

// The check itself must be able to fail: a deliberately wrong derivative is caught.
TEST(GradCheck, DetectsAWrongGradient) {
  Tensor x = Tensor::FromVector<double>({0.3, -0.7, 1.1}, {3});
  x.SetRequiresGrad(true);
  // The loss uses x twice, but a detached copy hides one use from autograd.
  auto loss = [&] { return Sum(Mul(x, Detach(x))); };  // true gradient 2x, autograd sees x
  const std::vector<GradCheckEntry> r = GradCheck(loss, {x}, {"x"}, 1e-6, 1e-5);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].passed);
  EXPECT_GT(r[0].max_abs_error, 0.2);
}

// The source tree: $LATENT_SOURCE_DIR, as CTest sets it, else the tree this test was built from.
std::string SourceDir() {
  const char* dir = std::getenv("LATENT_SOURCE_DIR");
  return dir != nullptr ? dir : LATENT_SOURCE_DIR;
}

// docs/gradients.md embeds the op table between two markers: a header, then one row per op in
// table order, its name, forward and derivative, with each '|' in a formula escaped. The expected
// text is built here from the rows themselves; `latent ops` prints it, to paste into the file.
TEST(OpTable, DocumentationMatchesTheTable) {
  const auto cell = [](const char* text) {
    std::string s;
    for (const char* c = text; *c != '\0'; ++c) s += *c == '|' ? "\\|" : std::string(1, *c);
    return s;
  };
  std::string want = "| op | forward | derivative |\n|---|---|---|\n";
  for (size_t i = 0; i < kNumOps; ++i) {
    const OpInfo& op = AllOps()[i];
    want += "| `" + std::string(op.name) + "` | " + cell(op.forward) + " | " + cell(op.derivative) +
            " |\n";
  }
  const std::string doc = ReadFileBytes(SourceDir() + "/docs/gradients.md");
  const std::string begin = "<!-- op-table:begin -->\n", end = "<!-- op-table:end -->";
  const size_t b = doc.find(begin), e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), want)
      << "docs/gradients.md is out of date: paste the output of `latent ops` between the markers";
  EXPECT_EQ(OpTableMarkdown(), want) << "`latent ops` does not print the table";
}

}  // namespace
}  // namespace latent

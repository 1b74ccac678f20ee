// The gradient-study tools: the tape observer, the DOT writer, the closed-form gradients of the
// reparameterize + KL op, and whole-model gradient checks (tools/eval/grad_study.h, core/graph_dot.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/autograd.h"
#include "core/graph_dot.h"
#include "core/nn.h"
#include "core/ops.h"
#include "core/random.h"
#include "tools/eval/grad_study.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::Leaf;

// A registered model in the setting of `latent gradcheck`: f64 parameters on tiny images.
struct TinyModel {
  std::unique_ptr<Model> model;
  Tensor x, labels;
};
TinyModel MakeTiny(const std::string& name, DType dtype = DType::kF64) {
  const GradCheckSetting setting = GradCheckSettingFor(name);
  const ModelInfo& info = FindModel(name);
  HyperParams values(info.hyperparams);
  ApplyNarrowValues(setting, values);
  TinyModel t{info.create(values, setting.shape), Tensor(), Tensor()};
  t.model->params().Allocate(Device::Cpu(), 5, dtype);
  t.x = RandomUniform({5, setting.shape.features()}, 11, 0, dtype);
  t.labels = Tensor::FromVector<int32_t>({0, 1, 2, 3, 4}, {5});
  return t;
}

// --- the tape observer ------------------------------------------------------------------------

// Counts the calls per node and keeps the order of the backward calls.
class CountingObserver : public TapeObserver {
 public:
  void OnRecord(const std::shared_ptr<Node>& node, const std::vector<Tensor>& outputs) override {
    ++records[node.get()];
    nodes.push_back(node);
    EXPECT_EQ(static_cast<int>(outputs.size()), node->num_outputs());
    for (const Tensor& out : outputs) EXPECT_EQ(out.grad_fn(), nullptr) << "not detached";
  }
  void OnBackward(const Node& node, const std::vector<Tensor>& grad_outputs,
                  const std::vector<Tensor>& grad_inputs) override {
    ++backwards[&node];
    backward_order.push_back(&node);
    EXPECT_EQ(static_cast<int>(grad_outputs.size()), node.num_outputs());
    EXPECT_EQ(grad_inputs.size(), node.inputs().size()) << "inputs must not be freed yet";
  }
  std::map<const Node*, int> records, backwards;
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<const Node*> backward_order;
};

TEST(TapeObserver, SeesEveryNodeOnceInRecordAndInBackward) {
  TinyModel t = MakeTiny("vae");
  CountingObserver obs;
  std::vector<std::shared_ptr<Node>> order;
  {
    TapeObserverGuard guard(&obs);
    const Tensor loss = t.model->Loss(t.x, t.labels, {3, 17, true}).loss;
    order = TopologicalOrder(loss);
    loss.Backward();
  }
  // linear_act x2 (fc1, fc3 with their ReLU), linear x3, reparam_kl, bce, two sums, add.
  ASSERT_EQ(order.size(), 10u);
  // Every node of the loss was recorded exactly once, and the VAE records nothing else.
  EXPECT_EQ(obs.records.size(), order.size());
  EXPECT_EQ(obs.nodes.size(), order.size());
  for (const auto& n : order) EXPECT_EQ(obs.records[n.get()], 1) << OpName(n->op());
  // Backward ran each once, in the topological order.
  ASSERT_EQ(obs.backward_order.size(), order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(obs.backward_order[i], order[i].get()) << "step " << i;
    EXPECT_EQ(obs.backwards[order[i].get()], 1);
  }
}

TEST(TapeObserver, GuardsNestAndRestore) {
  Tensor x = Leaf({0.5, -1.0}, {2});
  CountingObserver outer, inner;
  {
    TapeObserverGuard a(&outer);
    Tensor y = Exp(x);
    {
      TapeObserverGuard b(&inner);
      y = Mul(y, y);
    }
    y = Sum(y);
  }
  Sum(x).Backward();  // no observer any more
  EXPECT_EQ(outer.nodes.size(), 2u);  // exp, sum
  EXPECT_EQ(inner.nodes.size(), 1u);  // mul
  EXPECT_TRUE(outer.backward_order.empty());
}

TEST(TapeRecorder, KeepsValuesLinksAndGradientsOfEachNode) {
  // loss = sum(exp(x) * x): d/dx = exp(x) (1 + x); mul sends exp(x)'s branch x and x's exp(x).
  const std::vector<double> v = {0.5, -1.0, 2.0};
  Tensor x = Leaf(v, {3});
  TapeRecorder rec;
  {
    TapeObserverGuard guard(&rec);
    Sum(Mul(Exp(x), x)).Backward();
  }
  const std::vector<TapeEntry>& e = rec.entries();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].node->op(), OpKindOf(Activation::kExp));
  EXPECT_EQ(e[1].node->op(), OpKind::kMul);
  EXPECT_EQ(e[2].node->op(), OpKind::kSum);
  EXPECT_EQ(rec.backward_order(), (std::vector<int>{2, 1, 0}));
  // mul's inputs: exp's output 0, then the leaf x.
  EXPECT_EQ(e[1].producers, (std::vector<const Node*>{e[0].node.get(), nullptr}));
  EXPECT_EQ(rec.IndexOf(e[1].producers[0]), 0);
  EXPECT_EQ(e[1].inputs[1].ToVector<double>(), v);
  const std::vector<double> ex = e[0].outputs[0].ToVector<double>();
  ASSERT_TRUE(e[1].backward_ran);
  EXPECT_EQ(e[1].grad_outputs[0].ToVector<double>(), std::vector<double>(3, 1.0));
  EXPECT_EQ(e[1].grad_inputs[0].ToVector<double>(), v);   // d(a x)/da = x
  EXPECT_EQ(e[1].grad_inputs[1].ToVector<double>(), ex);  // d(a x)/dx = a = exp(x)
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(ex[i], std::exp(v[i]));
    EXPECT_NEAR(e[0].grad_inputs[0].ToVector<double>()[i], ex[i] * v[i], 1e-12);
  }
}

// --- DOT ----------------------------------------------------------------------------------------

// The DOT text as labels: each node id's label (as written, escapes kept), and each edge as
// "from label -> to label".
struct ParsedDot {
  std::map<std::string, std::string> label, attrs;  // by node id
  std::multiset<std::string> edges;
  std::vector<std::string> edge_labels;
};
ParsedDot Parse(const std::string& dot) {
  ParsedDot p;
  const std::regex node_re(R"re(^  (\w+) \[(.*label="((?:[^"\\]|\\.)*)".*)\];$)re");
  const std::regex edge_re(R"re(^  (\w+) -> (\w+)(?: \[label="((?:[^"\\]|\\.)*)"\])?;$)re");
  std::istringstream in(dot);
  std::string line;
  std::vector<std::pair<std::string, std::string>> raw_edges;
  EXPECT_TRUE(std::getline(in, line) && line == "digraph autograd {") << line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, edge_re)) {
      raw_edges.emplace_back(m[1], m[2]);
      p.edge_labels.push_back(m[3]);
    } else if (std::regex_match(line, m, node_re)) {
      EXPECT_EQ(p.label.count(m[1]), 0u) << "node declared twice: " << line;
      p.label[m[1]] = m[3];
      p.attrs[m[1]] = m[2];
    } else {
      EXPECT_TRUE(line == "}" || line.rfind("  node [", 0) == 0 || line.rfind("  edge [", 0) == 0)
          << "unexpected line: " << line;
    }
  }
  for (const auto& [from, to] : raw_edges) {
    EXPECT_TRUE(p.label.count(from) && p.label.count(to)) << from << " -> " << to;
    p.edges.insert(p.label[from] + " -> " + p.label[to]);
  }
  return p;
}

TEST(GraphDot, TinyExpressionHasExactlyTheExpectedNodesAndEdges) {
  // loss = sum(w * x + b): w and b parameters, x data.
  const Tensor w = Leaf({1, 2, 3}, {3}), b = Leaf({0.5, 0.5, 0.5}, {3});
  const Tensor x = Tensor::FromVector<double>({4, 5, 6}, {3});
  const Tensor loss = Sum(Add(Mul(w, x), b));
  const ParsedDot p = Parse(GraphToDot(
      loss, {{"w", w, NamedLeaf::kParameter}, {"b", b, NamedLeaf::kParameter}, {"x", x}}));
  const std::set<std::string> labels = [&] {
    std::set<std::string> s;
    for (const auto& [id, l] : p.label) s.insert(l);
    return s;
  }();
  EXPECT_EQ(labels, (std::set<std::string>{R"(w\n(3,))", R"(x\n(3,))", R"(b\n(3,))",
                                           R"(mul\n(3,))", R"(add\n(3,))", R"(sum\n())"}));
  EXPECT_EQ(p.edges, (std::multiset<std::string>{
                         R"(w\n(3,) -> mul\n(3,))", R"(x\n(3,) -> mul\n(3,))",
                         R"(mul\n(3,) -> add\n(3,))", R"(b\n(3,) -> add\n(3,))",
                         R"(add\n(3,) -> sum\n())"}));
  // Parameters are filled, the data input is not, and only the root has a double border.
  for (const auto& [id, l] : p.label) {
    const std::string& a = p.attrs.at(id);
    const bool param = l[0] == 'w' || l[0] == 'b';
    EXPECT_EQ(a.find("style=filled") != std::string::npos, param) << a;
    EXPECT_EQ(a.find("shape=box") != std::string::npos, id.rfind("leaf", 0) == 0) << a;
    EXPECT_EQ(a.find("peripheries=2") != std::string::npos, l == R"(sum\n())") << a;
  }
}

TEST(GraphDot, EscapesLabelsAndNeedsTheUnfreedGraph) {
  const Tensor w = Leaf({1, 2}, {2});
  const Tensor loss = Sum(Square(w));
  const std::string dot = GraphToDot(loss, {{"odd \"name\" \\ here", w, NamedLeaf::kParameter}});
  EXPECT_NE(dot.find(R"x(label="odd \"name\" \\ here\n(2,)")x"), std::string::npos) << dot;
  EXPECT_EQ(Parse(dot).label.size(), 3u);
  loss.Backward();
  latent::testing::ExpectErrorContaining([&] { GraphToDot(loss, {}); },
                                         {"before calling Backward()"});
}

TEST(GraphDot, VaeLossShowsTheReparamNodeAndEveryParameter) {
  TinyModel t = MakeTiny("vae", DType::kF32);
  const Tensor loss = t.model->Loss(t.x, t.labels, {1, 0, true}).loss;
  const ParsedDot p = Parse(GraphToDot(loss, ModelLeaves(*t.model, t.x, t.labels)));
  std::multiset<std::string> labels;
  for (const auto& [id, l] : p.label) labels.insert(l);
  const std::string z = "(5, " + std::to_string(t.model->code_size()) + ")";
  EXPECT_EQ(labels.count("reparam_kl\\n" + z + ", (5,)"), 1u);
  const Parameters& params = t.model->params();
  for (int i = 0; i < params.size(); ++i) {
    const std::string l = params.name(i) + R"(\n)" + params[i].shape().ToString();
    EXPECT_EQ(labels.count(l), 1u) << l;
  }
  EXPECT_EQ(labels.count(R"(x\n(5, 12))"), 1u);
  // One edge per defined input of every node; z and kl leave reparam_kl as "out 0" and "out 1".
  size_t inputs = 0;
  for (const auto& n : TopologicalOrder(loss))
    for (const Tensor& in : n->inputs()) inputs += in.defined() ? 1 : 0;
  EXPECT_EQ(p.edges.size(), inputs);
  EXPECT_EQ(std::count(p.edge_labels.begin(), p.edge_labels.end(), "out 0"), 1);
  EXPECT_EQ(std::count(p.edge_labels.begin(), p.edge_labels.end(), "out 1"), 1);
}

TEST(GraphDot, ConvModelDrawsReshapedInputAsOneBox) {
  // conv-ae views x (B, H*W) as (B, 1, H, W) for its first convolution without an op (x needs
  // no gradient) and compares the output with x: both uses reach the same box.
  TinyModel t = MakeTiny("conv-ae", DType::kF32);
  const Tensor loss = t.model->Loss(t.x, t.labels, {1, 0, true}).loss;
  const ParsedDot p = Parse(GraphToDot(loss, ModelLeaves(*t.model, t.x, t.labels)));
  int x_boxes = 0;
  for (const auto& [id, l] : p.label)
    if (l == R"(x\n(5, 32))") ++x_boxes;
  EXPECT_EQ(x_boxes, 1);
  EXPECT_EQ(std::count(p.edge_labels.begin(), p.edge_labels.end(), "as (5, 1, 4, 8)"), 1);
  int from_x = 0;
  for (const std::string& e : p.edges) from_x += e.rfind(R"(x\n(5, 32) -> )", 0) == 0 ? 1 : 0;
  EXPECT_EQ(from_x, 2);
}

// --- the reparameterize + KL op in closed form ---------------------------------------------------

TEST(ReparamClosedForm, MatchesAHandComputedCase) {
  // mu = (0.5, -1), logvar = (log 4, 0): sigma = (2, 1); z chosen so that eps = (0.5, -0.3).
  const Tensor mu = Tensor::FromVector<double>({0.5, -1.0}, {1, 2});
  const Tensor lv = Tensor::FromVector<double>({std::log(4.0), 0.0}, {1, 2});
  const Tensor z = Tensor::FromVector<double>({1.5, -1.3}, {1, 2});
  const Tensor dz = Tensor::FromVector<double>({3.0, 2.0}, {1, 2});
  const Tensor w = Tensor::FromVector<double>({2.0}, {1});
  const ReparamKlClosedForm cf = ReparamKlGradients(mu, lv, z, dz, w);
  const auto near = [](const Tensor& t, std::vector<double> want) {
    const std::vector<double> got = t.ToVector<double>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  };
  near(cf.eps, {0.5, -0.3});
  near(cf.dmu, {3 + 2 * 0.5, 2 + 2 * -1.0});                        // dz + w mu
  near(cf.dlogvar, {3 * 0.5 * 2 / 2 + 2 * (4 - 1) / 2.0, 2 * -0.3 / 2});  // 4.5, -0.3
  near(cf.kl, {-0.5 * ((1 + std::log(4.0) - 0.25 - 4) + (1 + 0 - 1 - 1))});
  // A missing gradient contributes nothing.
  near(ReparamKlGradients(mu, lv, z, Tensor(), w).dmu, {1.0, -2.0});
  near(ReparamKlGradients(mu, lv, z, dz, Tensor()).dlogvar, {1.5, -0.3});
}

TEST(ReparamClosedForm, MatchesAutogradOnTheOpAndInsideTheVae) {
  // The op alone, with dz = c and w = 3 known: loss = sum(c z) + 3 sum(kl).
  {
    const Tensor mu = Leaf({0.3, -0.7, 1.1, 0.0, -1.4, 0.2}, {2, 3});
    const Tensor lv = Leaf({-0.5, 0.4, 1.0, -1.2, 0.0, 0.7}, {2, 3});
    const Tensor c = Tensor::FromVector<double>({1, -2, 0.5, 3, -1, 2}, {2, 3});
    TapeRecorder rec;
    {
      TapeObserverGuard guard(&rec);
      const ReparamKlResult r = ReparamKl(mu, lv, 9, 4);
      Add(Sum(Mul(r.z, c)), Scale(Sum(r.kl), 3.0)).Backward();
    }
    const TapeEntry& e = rec.entries()[0];
    ASSERT_EQ(e.node->op(), OpKind::kReparamKl);
    const ReparamKlClosedForm cf =
        ReparamKlGradients(e.inputs[0], e.inputs[1], e.outputs[0], e.grad_outputs[0],
                           e.grad_outputs[1]);
    EXPECT_LT(MaxAbsDifference(cf.dmu_via_z, c), 1e-15);
    // f64 throughout; eps recovered as (z - mu) / sigma costs a few ulps of z.
    EXPECT_LT(MaxAbsDifference(cf.dmu, mu.grad()), 1e-12);
    EXPECT_LT(MaxAbsDifference(cf.dlogvar, lv.grad()), 1e-12);
    EXPECT_LT(MaxAbsDifference(cf.kl, e.outputs[1]), 1e-12);
  }
  // Inside the VAE's loss, where the gradient reaching z comes from the decoder (what `latent
  // grads` prints).
  TinyModel t = MakeTiny("vae");
  TapeRecorder rec;
  {
    TapeObserverGuard guard(&rec);
    t.model->Loss(t.x, t.labels, {3, 17, true}).loss.Backward();
  }
  int found = 0;
  for (const TapeEntry& e : rec.entries()) {
    if (e.node->op() != OpKind::kReparamKl) continue;
    ++found;
    ASSERT_TRUE(e.backward_ran);
    const ReparamKlClosedForm cf = ReparamKlGradients(e.inputs[0], e.inputs[1], e.outputs[0],
                                                      e.grad_outputs[0], e.grad_outputs[1]);
    EXPECT_GT(MaxAbsDifference(cf.dmu_via_z, Tensor::Zeros(cf.dmu.shape(), DType::kF64)), 1e-3);
    EXPECT_LT(MaxAbsDifference(cf.dmu, e.grad_inputs[0]), 1e-12);
    EXPECT_LT(MaxAbsDifference(cf.dlogvar, e.grad_inputs[1]), 1e-12);
    // The plain VAE weighs the KL by 1.
    EXPECT_EQ(e.grad_outputs[1].ToVector<double>(), std::vector<double>(5, 1.0));
  }
  EXPECT_EQ(found, 1);
}

// --- whole-model gradient checks -----------------------------------------------------------------

void ExpectAllPass(const std::string& name) {
  TinyModel t = MakeTiny(name);
  const std::vector<ParameterCheck> checks = CheckModelGradients(
      *t.model, t.x, t.labels, {3, 17, true}, kModelGradCheckAtol, kModelGradCheckRtol);
  ASSERT_EQ(static_cast<int>(checks.size()), t.model->params().size());
  for (int i = 0; i < t.model->params().size(); ++i) {
    EXPECT_EQ(checks[i].result.name, t.model->params().name(i));
    EXPECT_EQ(checks[i].shape, t.model->params()[i].shape());
    EXPECT_TRUE(checks[i].result.passed) << name << " " << checks[i].result.name << ": "
                                         << checks[i].result.max_abs_error;
    // The narrow setting leaves no layer dead: every tensor's check compared real gradients.
    EXPECT_GT(checks[i].max_abs_gradient, 1e-4) << name << " " << checks[i].result.name;
  }
}

TEST(ModelGradients, PassForADenseAndAConvModel) {
  ExpectAllPass("vae");
  ExpectAllPass("conv-vae");
}

// tanh whose backward is either right, dx = dy (1 - y^2), or has a classic slip, dx = dy (1 - y).
Tensor TestTanh(const Tensor& x, bool slip) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = Tanh(x);
  }
  Record(OpKindOf(Activation::kTanh), {x}, {&y},
         [y = Detach(y), slip](const std::vector<Tensor>& g) {
           std::vector<double> dx = g[0].ToVector<double>();
           const std::vector<double> v = y.ToVector<double>();
           for (size_t i = 0; i < dx.size(); ++i) dx[i] *= slip ? 1 - v[i] : 1 - v[i] * v[i];
           return std::vector<Tensor>{Tensor::FromVector(dx, y.shape())};
         });
  return y;
}

// loss = sum((fc2 tanh(fc1 x))^2): a wrong tanh backward corrupts fc1's gradients only.
class TanhNet : public Model {
 public:
  explicit TanhNet(bool slip) : slip_(slip) {
    fc1_ = LinearLayer(params_, "fc1", 12, 4);
    fc2_ = LinearLayer(params_, "fc2", 4, 2);
  }
  LossOutput Loss(const Tensor& x, const Tensor&, const StepContext&) override {
    return {Sum(Square(fc2_(TestTanh(fc1_(x), slip_)))), {}};
  }
  Tensor Encode(const Tensor& x, const Tensor&) override { return x; }
  Tensor Decode(const Tensor& z, const Tensor&) override { return z; }
  int64_t code_size() const override { return 4; }

 private:
  bool slip_;
  LinearLayer fc1_, fc2_;
};

TEST(ModelGradients, FailWhereABackwardIsWrong) {
  const Tensor x = RandomUniform({5, 12}, 11, 0, DType::kF64);
  std::map<std::string, bool> passed[2];
  for (bool slip : {false, true}) {
    TanhNet net(slip);
    net.params().Allocate(Device::Cpu(), 5, DType::kF64);
    const std::vector<ParameterCheck> checks =
        CheckModelGradients(net, x, Tensor(), {}, kModelGradCheckAtol, kModelGradCheckRtol);
    // max |grad| is autograd's gradient, the wrong one included.
    net.params().ZeroGrad();
    net.Loss(x, Tensor(), {}).loss.Backward();
    for (int i = 0; i < net.params().size(); ++i) {
      const ParameterCheck& c = checks[i];
      passed[slip][c.result.name] = c.result.passed;
      double largest = 0;
      for (double g : net.params()[i].grad().ToVector<double>())
        largest = std::max(largest, std::abs(g));
      EXPECT_EQ(c.max_abs_gradient, largest) << c.result.name;
    }
  }
  const std::map<std::string, bool> all = {
      {"fc1.weight", true}, {"fc1.bias", true}, {"fc2.weight", true}, {"fc2.bias", true}};
  EXPECT_EQ(passed[false], all);  // the right backward passes: the check's setting is sound
  const std::map<std::string, bool> slipped = {
      {"fc1.weight", false}, {"fc1.bias", false}, {"fc2.weight", true}, {"fc2.bias", true}};
  EXPECT_EQ(passed[true], slipped);  // below the slip every gradient is wrong, above it none
}

TEST(ModelGradients, NeedF64Parameters) {
  TinyModel t = MakeTiny("ae", DType::kF32);
  latent::testing::ExpectErrorContaining(
      [&] { CheckModelGradients(*t.model, t.x, t.labels, {}, 1e-6, 1e-5); }, {"f64", "CPU"});
}

}  // namespace
}  // namespace latent

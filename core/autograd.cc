#include "core/autograd.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "core/profiler.h"
#include "core/tensor_math.h"

namespace latent {
namespace {
thread_local bool grad_enabled = true;
thread_local TapeObserver* tape_observer = nullptr;
// The running node's GradientDestination()s, set by RunBackward around each backward function.
thread_local const std::vector<Tensor>* destinations = nullptr;
}  // namespace

Tensor GradientDestination(size_t input) {
  return destinations != nullptr && input < destinations->size() ? (*destinations)[input]
                                                                 : Tensor();
}

bool GradEnabled() { return grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }

TapeObserverGuard::TapeObserverGuard(TapeObserver* observer) : previous_(tape_observer) {
  tape_observer = observer;
}
TapeObserverGuard::~TapeObserverGuard() { tape_observer = previous_; }

std::vector<Tensor> Node::RunBackward(const std::vector<Tensor>& grad_outputs) {
  LATENT_CHECK(backward_, "backward reached op '", OpName(op_), "' whose graph was already freed: "
               "call Backward() once per forward pass");
  return backward_(grad_outputs);
}

void Node::Free() {
  backward_ = nullptr;
  inputs_.clear();
}

bool NeedsGraph(const std::vector<Tensor>& inputs) {
  if (!grad_enabled) return false;
  return std::any_of(inputs.begin(), inputs.end(),
                     [](const Tensor& t) { return t.defined() && t.requires_grad(); });
}

Tensor Detach(const Tensor& t) {
  Tensor d = t;
  d.SetHistory(nullptr, 0);
  return d;
}

void Record(OpKind op, const std::vector<Tensor>& inputs, std::vector<Tensor*> outputs,
            BackwardFn backward) {
  if (!NeedsGraph(inputs)) return;
  std::vector<Shape> shapes;
  for (const Tensor* out : outputs) shapes.push_back(out->shape());
  auto node = std::make_shared<Node>(op, inputs, std::move(shapes), std::move(backward));
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i]->SetHistory(node, static_cast<int>(i));
  if (tape_observer) {
    std::vector<Tensor> detached;
    for (const Tensor* out : outputs) detached.push_back(Detach(*out));
    tape_observer->OnRecord(node, detached);
  }
}

std::vector<std::shared_ptr<Node>> TopologicalOrder(const Tensor& root) {
  // Kahn's algorithm on the graph reversed: a node runs once every node that consumes one of its
  // outputs has run, so each output's gradient is complete when its node sees it.
  std::vector<std::shared_ptr<Node>> nodes;
  std::unordered_map<Node*, int> consumers;
  std::vector<Node*> stack;
  if (root.grad_fn()) {
    nodes.push_back(root.grad_fn());
    consumers[root.grad_fn().get()] = 0;
    stack.push_back(root.grad_fn().get());
  }
  while (!stack.empty()) {  // discover every node once, iteratively (deep graphs cannot overflow)
    Node* node = stack.back();
    stack.pop_back();
    for (const Tensor& in : node->inputs()) {
      const std::shared_ptr<Node>& producer = in.defined() ? in.grad_fn() : nullptr;
      if (!producer) continue;
      auto [it, inserted] = consumers.emplace(producer.get(), 0);
      ++it->second;
      if (inserted) {
        nodes.push_back(producer);
        stack.push_back(producer.get());
      }
    }
  }
  std::unordered_map<Node*, std::shared_ptr<Node>> owner;
  for (const auto& n : nodes) owner[n.get()] = n;
  std::vector<std::shared_ptr<Node>> order;
  std::vector<Node*> ready;
  if (root.grad_fn()) ready.push_back(root.grad_fn().get());
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    order.push_back(owner[node]);
    for (const Tensor& in : node->inputs()) {
      const std::shared_ptr<Node>& producer = in.defined() ? in.grad_fn() : nullptr;
      if (producer && --consumers[producer.get()] == 0) ready.push_back(producer.get());
    }
  }
  return order;
}

namespace {

// Sums gradient contributions. A pending (non-leaf) slot is replaced by a fresh sum, never
// updated in place: a backward function may hand the same tensor to several inputs (add passes dy
// to both), so writing into it would corrupt the others.
void AccumulatePending(Tensor& slot, const Tensor& g) { slot = slot.defined() ? math::Add(slot, g) : g; }

// A leaf's gradient buffer is its own (a clone, or a view into the optimizer's flat gradient
// buffer), so it accumulates in place: `+=` across backward passes until ZeroGrad. The first
// contribution after ZeroGrad overwrites the stale buffer with g + 0, which is what zeroing it
// and adding g would leave, bit for bit (-0 included), in one pass instead of two; or it is
// already there, written by the backward function (GradientDestination), and only marked.
void AccumulateLeaf(AutogradMeta& leaf, const Tensor& g) {
  if (leaf.grad_is_zero && g.raw_data() == leaf.grad.raw_data()) {
    leaf.grad_is_zero = false;  // the backward function wrote it in place (GradientDestination)
  } else if (!leaf.grad.defined()) {
    leaf.grad = g.Clone();
  } else if (leaf.grad_is_zero) {
    math::Axpby(1.0, g, 0.0, leaf.grad);
    leaf.grad_is_zero = false;
  } else {
    math::AddInPlace(leaf.grad, g);
  }
}

// GradientDestination() for each of a node's inputs: the gradient buffer of a leaf still zeroed
// that appears once among them (twice, its two gradients would be written over each other).
std::vector<Tensor> Destinations(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (!in.defined() || !in.requires_grad() || in.grad_fn()) continue;
    const AutogradMeta& leaf = *in.autograd();
    if (!leaf.grad.defined() || !leaf.grad_is_zero) continue;
    const auto same = [&](const Tensor& other) {
      return other.defined() && other.autograd() == in.autograd();
    };
    if (std::count_if(inputs.begin(), inputs.end(), same) == 1) out[i] = leaf.grad;
  }
  return out;
}

// Sets the running node's destinations, and restores the previous ones (a backward function may
// itself run a backward pass) even when the function throws.
class DestinationScope {
 public:
  explicit DestinationScope(const std::vector<Tensor>* d) : previous_(destinations) {
    destinations = d;
  }
  ~DestinationScope() { destinations = previous_; }

 private:
  const std::vector<Tensor>* previous_;
};

// "<op> backward", the NVTX range of a node's backward pass (docs/profiling.md). Built once, so a
// backward pass allocates no names.
const char* BackwardRangeName(OpKind op) {
  static const std::array<std::string, kNumOps> names = [] {
    std::array<std::string, kNumOps> n;
    for (size_t i = 0; i < kNumOps; ++i)
      n[i] = std::string(OpName(static_cast<OpKind>(i))) + " backward";
    return n;
  }();
  return names[static_cast<size_t>(op)].c_str();
}

}  // namespace

void RunBackward(const Tensor& root) {
  LATENT_CHECK(root.defined(), "Backward() on an undefined tensor");
  LATENT_CHECK(root.numel() == 1, "Backward() needs a one-element loss, found shape ",
               root.shape().ToString());
  LATENT_CHECK(root.requires_grad(), "Backward() on a tensor that does not require a gradient "
               "(no input of the computation requires one, or it ran under NoGradGuard)");
  const Tensor one = Tensor::Full(root.shape(), 1.0, root.dtype(), root.device());
  if (!root.grad_fn()) {  // the root is itself a leaf
    AccumulateLeaf(*root.autograd(), one);
    return;
  }
  const std::vector<std::shared_ptr<Node>> order = TopologicalOrder(root);
  std::unordered_map<Node*, std::vector<Tensor>> pending;  // gradients of each node's outputs
  pending[root.grad_fn().get()].resize(root.grad_fn()->num_outputs());
  pending[root.grad_fn().get()][root.output_index()] = one;

  for (const std::shared_ptr<Node>& node : order) {
    // The range covers the node's backward function and the accumulation of what it returns.
    NvtxRange range(BackwardRangeName(node->op()));
    std::vector<Tensor> grad_outputs = std::move(pending[node.get()]);
    pending.erase(node.get());
    grad_outputs.resize(node->num_outputs());
    const std::vector<Tensor>& inputs = node->inputs();
    const std::vector<Tensor> node_destinations = Destinations(inputs);
    std::vector<Tensor> grad_inputs;
    {
      const DestinationScope scope(&node_destinations);
      grad_inputs = node->RunBackward(grad_outputs);
    }
    LATENT_CHECK(grad_inputs.size() == inputs.size(), "backward of op '", OpName(node->op()),
                 "' returned ", grad_inputs.size(), " gradients for ", inputs.size(), " inputs");
    if (tape_observer) tape_observer->OnBackward(*node, grad_outputs, grad_inputs);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& in = inputs[i];
      if (!in.defined() || !in.requires_grad()) continue;
      const Tensor& g = grad_inputs[i];
      LATENT_CHECK(g.defined(), "backward of op '", OpName(node->op()),
                   "' returned no gradient for input ", i, ", which requires one");
      LATENT_CHECK(g.shape() == in.shape(), "backward of op '", OpName(node->op()),
                   "' returned a gradient of shape ", g.shape().ToString(), " for input ", i,
                   " of shape ", in.shape().ToString());
      if (in.grad_fn()) {
        std::vector<Tensor>& slots = pending[in.grad_fn().get()];
        slots.resize(in.grad_fn()->num_outputs());
        AccumulatePending(slots[in.output_index()], g);
      } else {
        AccumulateLeaf(*in.autograd(), g);
      }
    }
    node->Free();  // the graph is freed as it is walked
  }
}

}  // namespace latent

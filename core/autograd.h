// The reverse-mode autograd engine (define-by-run).
//
// Every differentiable op, after computing its outputs, calls Record(): when grad mode is on and
// some input requires a gradient, a Node is attached to the outputs holding the inputs and the
// op's backward function (written right below the op's forward in core/ops_*.cc). Backward()
// orders the graph without recursion, hands each node the gradients of its outputs, accumulates
// (+=) what it returns into the inputs, and frees each node once it has run.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/op_table.h"
#include "core/tensor.h"

namespace latent {

// Gradients of a node's outputs in, gradients of its inputs out (an undefined Tensor where an
// input needs none, or an output received none).
using BackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& grad_outputs)>;

class Node {
 public:
  Node(OpKind op, std::vector<Tensor> inputs, std::vector<Shape> output_shapes, BackwardFn backward)
      : op_(op), inputs_(std::move(inputs)), output_shapes_(std::move(output_shapes)),
        backward_(std::move(backward)) {}

  OpKind op() const { return op_; }
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const std::vector<Shape>& output_shapes() const { return output_shapes_; }
  int num_outputs() const { return static_cast<int>(output_shapes_.size()); }
  bool freed() const { return !backward_; }

  std::vector<Tensor> RunBackward(const std::vector<Tensor>& grad_outputs);
  // Drops the saved tensors and the edges to the inputs.
  void Free();

 private:
  OpKind op_;
  std::vector<Tensor> inputs_;
  std::vector<Shape> output_shapes_;
  BackwardFn backward_;
};

// Whether ops record a graph on this thread.
bool GradEnabled();

// Turns recording off for its lifetime (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when an op on `inputs` must record a node.
bool NeedsGraph(const std::vector<Tensor>& inputs);

// Attaches a node for `op` to `outputs` if NeedsGraph(inputs). Backward functions must capture
// outputs through Detach()-ed handles (see Detach), never the outputs themselves, or the node
// would own the tensor that owns it.
void Record(OpKind op, const std::vector<Tensor>& inputs, std::vector<Tensor*> outputs,
            BackwardFn backward);

// A handle to the same data without autograd history.
Tensor Detach(const Tensor& t);

// Runs the backward pass from `root` (one element) with d(root)/d(root) = 1.
void RunBackward(const Tensor& root);

// Inside a backward function: the buffer where it may write the gradient of input `input`
// itself, or an undefined Tensor. It is defined when that input is a leaf whose gradient was
// zeroed (ZeroGrad) and has not been reached since, and which appears once among the node's
// inputs: its gradient then goes straight into place rather than into a temporary that the
// engine copies over. A function that writes into it returns it as that input's gradient;
// anything else it returns is accumulated as usual. (Linear's weight gradient uses it: the
// largest of a step's gradients, written by the GEMM.)
Tensor GradientDestination(size_t input);

// Watches this thread's tape, for tools that show how gradients flow (`latent grads`) and their
// tests: each node as Record() attaches it, and each node's backward as RunBackward() runs it.
// Training installs none; the engine then pays one null check per op and per node.
class TapeObserver {
 public:
  virtual ~TapeObserver() = default;
  // `outputs` are Detach()-ed handles to the node's outputs: an observer may keep them (and the
  // node) without forming a cycle, since the node never owns its outputs.
  virtual void OnRecord(const std::shared_ptr<Node>& /*node*/,
                        const std::vector<Tensor>& /*outputs*/) {}
  // After the node's backward function ran and before the node is freed (its inputs are still
  // there): the gradients its outputs received (undefined where none arrived) and those it
  // returned for its inputs (undefined where an input needs none).
  virtual void OnBackward(const Node& /*node*/, const std::vector<Tensor>& /*grad_outputs*/,
                          const std::vector<Tensor>& /*grad_inputs*/) {}
};

// Installs an observer on this thread for the guard's lifetime, restoring the previous one after
// (guards nest).
class TapeObserverGuard {
 public:
  explicit TapeObserverGuard(TapeObserver* observer);
  ~TapeObserverGuard();
  TapeObserverGuard(const TapeObserverGuard&) = delete;
  TapeObserverGuard& operator=(const TapeObserverGuard&) = delete;

 private:
  TapeObserver* previous_;
};

// The nodes reachable from `root`, in the order backward visits them (outputs before inputs).
std::vector<std::shared_ptr<Node>> TopologicalOrder(const Tensor& root);

}  // namespace latent

// The autograd graph behind a tensor as Graphviz DOT (`latent graph`): one ellipse per recorded
// op, labelled with the op's name and output shapes; one box per leaf tensor: parameters filled
// and labelled with their names, data inputs bold, anything unnamed dashed and called "constant"
// (e.g. x with one-hot labels appended, which needs no gradient and so records no op); edges run
// from each input to the op that consumed it, so the drawing reads like the forward pass, top to
// bottom.
//
// Render it with `dot -Tpng graph.dot -o graph.png` (or -Tsvg).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"

namespace latent {

// A leaf to label in the drawing: a model parameter ("encoder.fc1.weight") or a data input ("x").
struct NamedLeaf {
  enum Kind { kParameter, kInput };
  std::string name;
  Tensor tensor;
  Kind kind = kInput;
};

// The entry of `leaves` whose tensor is `t`'s memory: same first element and element count, so a
// reshaped view of x (a convolution's (B, 1, H, W) input) is still x. Null when none is.
const NamedLeaf* FindLeaf(const std::vector<NamedLeaf>& leaves, const Tensor& t);

// The graph that computed `root`, which must still be recorded (before Backward() frees it).
// Ops are numbered op0, op1, ... in forward order (the reverse of the order backward visits
// them), leaves leaf0, leaf1, ... as they first appear; `root`'s op is drawn with a double border.
// Labels are quoted and escaped, so any name is valid DOT.
std::string GraphToDot(const Tensor& root, const std::vector<NamedLeaf>& leaves);

}  // namespace latent

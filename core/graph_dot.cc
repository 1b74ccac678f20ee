#include "core/graph_dot.h"

#include <map>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "core/autograd.h"

namespace latent {
namespace {

// A label as a DOT string: quotes and backslashes escaped, lines joined by DOT's "\n" (a
// centred line break), so names with any characters stay one valid token.
std::string Quote(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\\n";
    for (char c : lines[i]) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
  }
  return out + "\"";
}

std::string OutputShapes(const Node& node) {
  std::string s;
  for (const Shape& shape : node.output_shapes()) s += (s.empty() ? "" : ", ") + shape.ToString();
  return s;
}

// Leaves are the same tensor when they share memory, element count and dtype (see FindLeaf).
using LeafKey = std::tuple<const void*, int64_t, DType>;
LeafKey KeyOf(const Tensor& t) { return {t.raw_data(), t.numel(), t.dtype()}; }

}  // namespace

const NamedLeaf* FindLeaf(const std::vector<NamedLeaf>& leaves, const Tensor& t) {
  if (!t.defined()) return nullptr;
  for (const NamedLeaf& leaf : leaves)
    if (leaf.tensor.defined() && KeyOf(leaf.tensor) == KeyOf(t)) return &leaf;
  return nullptr;
}

std::string GraphToDot(const Tensor& root, const std::vector<NamedLeaf>& leaves) {
  LATENT_CHECK(root.defined(), "GraphToDot needs a defined tensor");
  std::vector<std::shared_ptr<Node>> order = TopologicalOrder(root);
  LATENT_CHECK(root.grad_fn() == nullptr || !order.front()->freed(),
               "GraphToDot needs the recorded graph, but Backward() has already freed it: draw "
               "the graph before calling Backward()");
  std::unordered_map<const Node*, int> op_id;  // forward order
  for (size_t i = 0; i < order.size(); ++i)
    op_id[order[order.size() - 1 - i].get()] = static_cast<int>(i);

  std::ostringstream dot;
  dot << "digraph autograd {\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  std::map<LeafKey, std::pair<std::string, Shape>> leaf_id;  // key -> (id, shape drawn)
  // Declares the leaf on first sight and returns its id and the shape its box shows.
  const auto leaf = [&](const Tensor& t) -> const std::pair<std::string, Shape>& {
    auto it = leaf_id.find(KeyOf(t));
    if (it != leaf_id.end()) return it->second;
    const std::string id = "leaf" + std::to_string(leaf_id.size());
    const NamedLeaf* named = FindLeaf(leaves, t);
    const Shape shape = named ? named->tensor.shape() : t.shape();
    dot << "  " << id << " [shape=box, ";
    if (!named) {
      dot << "style=dashed, color=gray40, label=" << Quote({"constant", shape.ToString()});
    } else if (named->kind == NamedLeaf::kParameter) {
      dot << "style=filled, fillcolor=\"#cfe2ff\", label="
          << Quote({named->name, shape.ToString()});
    } else {
      dot << "style=bold, label=" << Quote({named->name, shape.ToString()});
    }
    dot << "];\n";
    return leaf_id.emplace(KeyOf(t), std::make_pair(id, shape)).first->second;
  };

  if (!root.grad_fn()) {
    leaf(root);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& node = **it;
    const std::string id = "op" + std::to_string(op_id.at(&node));
    std::vector<std::pair<std::string, std::string>> edges;  // (from, label)
    for (const Tensor& in : node.inputs()) {
      if (!in.defined()) continue;  // an optional input left out (a layer without bias)
      const std::shared_ptr<Node>& producer = in.grad_fn();
      if (producer) {
        // A node with several outputs (reparam_kl: z and kl) says which one flows here.
        edges.emplace_back("op" + std::to_string(op_id.at(producer.get())),
                           producer->num_outputs() > 1
                               ? "out " + std::to_string(in.output_index())
                               : std::string());
      } else {
        const auto& [from, shape] = leaf(in);
        edges.emplace_back(from, in.shape() == shape ? std::string()
                                                     : "as " + in.shape().ToString());
      }
    }
    dot << "  " << id << " [shape=ellipse, label=" << Quote({OpName(node.op()), OutputShapes(node)})
        << (&node == root.grad_fn().get() ? ", peripheries=2" : "") << "];\n";
    for (const auto& [from, label] : edges) {
      dot << "  " << from << " -> " << id;
      if (!label.empty()) dot << " [label=" << Quote({label}) << "]";
      dot << ";\n";
    }
  }
  dot << "}\n";
  return dot.str();
}

}  // namespace latent

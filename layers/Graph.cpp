#include "layers/Graph.h"

#include "core/Error.h"
#include "layers/Module.h"

namespace fgq {

const char* graphOpName(GraphOp op) {
  switch (op) {
    case GraphOp::kInput: return "input";
    case GraphOp::kConv: return "conv";
    case GraphOp::kLinear: return "linear";
    case GraphOp::kBatchNorm: return "batch norm";
    case GraphOp::kRelu: return "relu";
    case GraphOp::kMaxPool: return "max pool";
    case GraphOp::kAvgPool: return "average pool";
    case GraphOp::kAdaptiveAvgPool: return "adaptive average pool";
    case GraphOp::kAdd: return "add";
    case GraphOp::kFlatten: return "flatten";
  }
  return "?";
}

Graph::Graph() { nodes_.push_back(GraphNode{}); }

int Graph::add(GraphOp op, std::vector<int> inputs, const Module* module) {
  for (int i : inputs) FGQ_CHECK(i >= 0 && i < static_cast<int>(nodes_.size()), "graph: " << graphOpName(op) << " reads node " << i << ", which does not exist yet");
  nodes_.push_back(GraphNode{op, std::move(inputs), module});
  output_ = static_cast<int>(nodes_.size()) - 1;
  return output_;
}

int Graph::addAdaptiveAvgPool(int input, int64_t outH, int64_t outW) {
  const int id = add(GraphOp::kAdaptiveAvgPool, {input});
  nodes_.back().outH = outH;
  nodes_.back().outW = outW;
  return id;
}

std::vector<int> Graph::consumers(int id) const {
  std::vector<int> out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (int input : nodes_[i].inputs)
      if (input == id) out.push_back(static_cast<int>(i));
  return out;
}

std::string Graph::describe(int id, const Module& model) const {
  const GraphNode& n = node(id);
  if (n.module)
    for (const auto& [name, module] : model.namedModules())
      if (module == n.module) return std::string(graphOpName(n.op)) + " " + (name.empty() ? "(the model)" : name);
  return std::string(graphOpName(n.op)) + " (node " + std::to_string(id) + ")";
}

Graph traceGraph(const Module& model) {
  Graph graph;
  graph.setOutput(model.trace(graph, 0));
  return graph;
}

}  // namespace fgq

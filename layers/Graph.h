#pragma once
// A model as the dataflow of its layers, for what walks a network instead of calling forward (the
// integer inference engine, exporters). Nodes are in forward order, node 0 the model's input; each is a
// module (conv, inner product, batch norm, pool, flatten) or a function forward applies between modules
// (relu, the residual add, adaptive average pooling). Dropout, the identity in evaluation, adds no node.
#include <cstdint>
#include <string>
#include <vector>

namespace fgq {

class Module;

enum class GraphOp { kInput, kConv, kLinear, kBatchNorm, kRelu, kMaxPool, kAvgPool, kAdaptiveAvgPool, kAdd, kFlatten };
const char* graphOpName(GraphOp op);

struct GraphNode {
  GraphOp op = GraphOp::kInput;
  std::vector<int> inputs;
  const Module* module = nullptr;  // the module it runs; null for relu, add and adaptive average pooling
  int64_t outH = 0, outW = 0;      // adaptive average pooling's output size
};

class Graph {
 public:
  Graph();
  // Appends a node reading `inputs` (earlier nodes); returns its id.
  int add(GraphOp op, std::vector<int> inputs, const Module* module = nullptr);
  int addAdaptiveAvgPool(int input, int64_t outH, int64_t outW);
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const GraphNode& node(int id) const { return nodes_.at(static_cast<size_t>(id)); }
  int output() const { return output_; }
  void setOutput(int id) { output_ = id; }
  // The nodes that read node `id`, in order.
  std::vector<int> consumers(int id) const;
  // "conv layer1.0.conv1" for a node with a module named in `model`, else the op and node id.
  std::string describe(int id, const Module& model) const;

 private:
  std::vector<GraphNode> nodes_;
  int output_ = 0;
};

// The graph of `model` in evaluation (Module::trace); throws for a module that cannot describe itself.
Graph traceGraph(const Module& model);

}  // namespace fgq

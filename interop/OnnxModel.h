#pragma once
// An FP32 CNN from an ONNX file as an fgq module, so that a model trained anywhere can be compressed:
// Conv, BatchNormalization, Gemm and MatMul become fgq's own layers (Conv2d, BatchNorm2d, Linear: what
// FGQ and VBD quantize), named after their weight initializers as torch.onnx.export names them
// ("layer1.0.conv1.weight" -> layer "layer1.0.conv1"), so state dicts and layer names stay torchvision's;
// Relu, Add, MaxPool, AveragePool (a zero Pad before it included), GlobalAveragePool, Flatten, Reshape
// (to [N, -1]), Dropout and Identity run between them. Batch norm stays a node when the file has one (export torch models in
// training-preserving mode without constant folding); a file whose batch norms were folded away is a
// conv with a bias.
#include <onnx/onnx_pb.h>

#include <memory>
#include <string>

#include "layers/Module.h"

namespace fgq {

class OnnxModel : public Module {
 public:
  // Throws naming `source` and the node (and its operator) for what it cannot take.
  OnnxModel(const onnx::ModelProto& model, const std::string& source);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;

 private:
  enum class Op { kModule, kRelu, kAdd, kGlobalAveragePool, kIdentity };
  struct Step {
    Op op;
    std::shared_ptr<Module> module;
    std::vector<int> inputs;  // values: 0 is the graph's input, i + 1 step i's output
  };
  // Evaluates the steps in order on values of type V (Variable, Shape or graph node), `apply` computing a
  // step from its inputs.
  template <typename V, typename Apply>
  V walk(const V& input, Apply&& apply) const;

  friend class OnnxReader;
  std::vector<Step> steps_;
  int output_ = 0;
};

// Reads `path`; throws naming it for a file that is not ONNX or a graph OnnxModel cannot take.
std::unique_ptr<OnnxModel> loadOnnxModel(const std::string& path);

}  // namespace fgq

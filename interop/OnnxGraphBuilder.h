#pragma once
// Building an ONNX graph with ONNX's own protobuf types (libonnx-dev): initializers, nodes and their
// attributes under names made unique in the graph.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fgq {

class OnnxGraphBuilder {
 public:
  explicit OnnxGraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  // Initializers: each returns the name it was given (`name`, made unique).
  std::string floats(const std::string& name, const std::vector<int64_t>& dims, const float* data);
  std::string int8s(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int8_t>& data);
  std::string scalar(const std::string& name, float value);
  // A scalar of an integer type (onnx::TensorProto::UINT8, INT8, UINT16, INT16): zero points, whose type
  // makes QuantizeLinear's, and the bounds of a Clip on codes.
  std::string integerScalar(const std::string& name, int type, int64_t value);
  std::string integers(const std::string& name, const std::vector<int64_t>& dims, int type, const std::vector<int64_t>& values);

  // Adds a node of `op` reading `inputs`; returns its output's name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                   const std::vector<onnx::AttributeProto>& attributes = {});

  static onnx::AttributeProto ints(const std::string& name, const std::vector<int64_t>& values);
  static onnx::AttributeProto integer(const std::string& name, int64_t value);
  static onnx::AttributeProto real(const std::string& name, float value);

 private:
  std::string unique(const std::string& name);
  onnx::TensorProto& initializer(const std::string& name, const std::vector<int64_t>& dims, int type);
  onnx::GraphProto& graph_;
  std::vector<std::string> used_;
};

}  // namespace fgq

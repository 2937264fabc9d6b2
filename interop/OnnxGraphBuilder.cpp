#include "interop/OnnxGraphBuilder.h"

#include <algorithm>

namespace fgq {

std::string OnnxGraphBuilder::unique(const std::string& name) {
  std::string candidate = name;
  for (int i = 1; std::find(used_.begin(), used_.end(), candidate) != used_.end(); ++i) candidate = name + "_" + std::to_string(i);
  used_.push_back(candidate);
  return candidate;
}

onnx::TensorProto& OnnxGraphBuilder::initializer(const std::string& name, const std::vector<int64_t>& dims, int type) {
  onnx::TensorProto& t = *graph_.add_initializer();
  t.set_name(unique(name));
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  return t;
}

std::string OnnxGraphBuilder::floats(const std::string& name, const std::vector<int64_t>& dims, const float* data) {
  onnx::TensorProto& t = initializer(name, dims, onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  t.set_raw_data(data, static_cast<size_t>(n) * sizeof(float));
  return t.name();
}

std::string OnnxGraphBuilder::int8s(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int8_t>& data) {
  onnx::TensorProto& t = initializer(name, dims, onnx::TensorProto::INT8);
  t.set_raw_data(data.data(), data.size());
  return t.name();
}

std::string OnnxGraphBuilder::scalar(const std::string& name, float value) { return floats(name, {}, &value); }

// Raw data little-endian, as ONNX stores it (and this x86-64 machine holds it).
std::string OnnxGraphBuilder::integers(const std::string& name, const std::vector<int64_t>& dims, int type, const std::vector<int64_t>& values) {
  onnx::TensorProto& t = initializer(name, dims, type);
  const bool wide = type == onnx::TensorProto::UINT16 || type == onnx::TensorProto::INT16;
  std::string bytes;
  for (int64_t v : values) {
    bytes.push_back(static_cast<char>(v & 0xff));
    if (wide) bytes.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  t.set_raw_data(bytes);
  return t.name();
}

std::string OnnxGraphBuilder::integerScalar(const std::string& name, int type, int64_t value) { return integers(name, {}, type, {value}); }

std::string OnnxGraphBuilder::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                                   const std::vector<onnx::AttributeProto>& attributes) {
  onnx::NodeProto& n = *graph_.add_node();
  n.set_op_type(op);
  n.set_name(unique(name));
  for (const std::string& in : inputs) n.add_input(in);
  n.add_output(n.name());
  for (const onnx::AttributeProto& a : attributes) *n.add_attribute() = a;
  return n.name();
}

namespace {

onnx::AttributeProto attribute(const std::string& name, onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(type);
  return a;
}

}  // namespace

onnx::AttributeProto OnnxGraphBuilder::ints(const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto a = attribute(name, onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
  return a;
}

onnx::AttributeProto OnnxGraphBuilder::integer(const std::string& name, int64_t value) {
  onnx::AttributeProto a = attribute(name, onnx::AttributeProto::INT);
  a.set_i(value);
  return a;
}

onnx::AttributeProto OnnxGraphBuilder::real(const std::string& name, float value) {
  onnx::AttributeProto a = attribute(name, onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return a;
}

}  // namespace fgq

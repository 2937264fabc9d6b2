#include "interop/OnnxModel.h"

#include <cstring>
#include <list>
#include <map>
#include <set>

#include "autograd/Functions.h"
#include "core/Error.h"
#include "core/ReadFile.h"
#include "core/Random.h"
#include "layers/Modules.h"
#include "layers/ops/Ops.h"

namespace fgq {

using onnx::TensorProto;

// Turns the ONNX graph's nodes into the model's steps, in the file's (topological) order.
class OnnxReader {
 public:
  OnnxReader(OnnxModel& model, const onnx::GraphProto& graph, const std::string& source) : m_(model), graph_(graph), source_(source) {}

  void run() {
    for (const TensorProto& t : graph_.initializer()) constants_[t.name()] = &t;
    std::string input;
    for (const onnx::ValueInfoProto& v : graph_.input())
      if (!constants_.count(v.name())) {
        FGQ_CHECK(input.empty(), source_ << ": the graph has two inputs that are not initializers, '" << input << "' and '" << v.name() << "' (a CNN takes images)");
        input = v.name();
      }
    FGQ_CHECK(!input.empty(), source_ << ": the graph has no input");
    values_[input] = 0;
    for (const onnx::NodeProto& n : graph_.node()) read(n);
    FGQ_CHECK(graph_.output_size() == 1, source_ << ": the graph has " << graph_.output_size() << " outputs (a classifier has one)");
    m_.output_ = value(graph_.output(0).name(), "the graph's output");
  }

 private:
  [[noreturn]] void fail(const onnx::NodeProto& n, const std::string& what) const {
    throw Error(source_ + ": node '" + n.name() + "' (" + n.op_type() + "): " + what);
  }

  // A node's inputs and output by position, refused by name where the node has none there.
  const std::string& input(const onnx::NodeProto& n, int i) const {
    if (i >= n.input_size()) fail(n, "input " + std::to_string(i) + " is missing");
    return n.input(i);
  }
  const std::string& output(const onnx::NodeProto& n) const {
    if (n.output_size() < 1) fail(n, "the node has no output");
    return n.output(0);
  }

  int value(const std::string& name, const std::string& reader) const {
    if (padded_.count(name)) throw Error(source_ + ": " + reader + " reads the output of a Pad, which the importer takes only before an AveragePool");
    auto it = values_.find(name);
    if (it == values_.end()) throw Error(source_ + ": " + reader + " reads '" + name + "', which no earlier node computes");
    return it->second;
  }

  const TensorProto* constant(const onnx::NodeProto& n, int input, bool required = true) const {
    if (input >= n.input_size() || n.input(input).empty()) {
      if (required) fail(n, "input " + std::to_string(input) + " is missing");
      return nullptr;
    }
    auto it = constants_.find(n.input(input));
    if (it == constants_.end()) fail(n, "input '" + n.input(input) + "' must be an initializer (a constant weight)");
    return it->second;
  }

  std::vector<int64_t> dims(const TensorProto& t) const { return {t.dims().begin(), t.dims().end()}; }

  // A float initializer's values (raw or typed), its element count checked against its dimensions.
  Tensor floats(const onnx::NodeProto& n, const TensorProto& t) const {
    if (t.data_type() != TensorProto::FLOAT) fail(n, "initializer '" + t.name() + "' is not float32");
    if (t.data_location() == TensorProto::EXTERNAL) fail(n, "initializer '" + t.name() + "' is in an external file (not supported)");
    std::vector<int64_t> d = dims(t);
    int64_t count = 1;
    for (int64_t x : d)
      if (x < 0 || __builtin_mul_overflow(count, x, &count) || count > (int64_t{1} << 34)) fail(n, "initializer '" + t.name() + "' has a bad shape");
    const size_t stored = t.has_raw_data() ? t.raw_data().size() / sizeof(float) : static_cast<size_t>(t.float_data_size());
    if ((t.has_raw_data() && t.raw_data().size() % sizeof(float) != 0) || stored != static_cast<size_t>(count))
      fail(n, "initializer '" + t.name() + "' holds " + std::to_string(stored) + " values for its " + std::to_string(count));
    Tensor out = Tensor::empty(Shape(d));
    if (t.has_raw_data()) std::memcpy(out.data<float>(), t.raw_data().data(), t.raw_data().size());
    else std::copy(t.float_data().begin(), t.float_data().end(), out.data<float>());
    return out;
  }

  std::vector<int64_t> int64s(const onnx::NodeProto& n, const TensorProto& t) const {
    if (t.data_type() != TensorProto::INT64) fail(n, "initializer '" + t.name() + "' is not int64");
    std::vector<int64_t> v(t.int64_data().begin(), t.int64_data().end());
    if (t.has_raw_data()) {
      v.resize(t.raw_data().size() / sizeof(int64_t));
      std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(int64_t));
    }
    return v;
  }

  const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) const {
    for (const onnx::AttributeProto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::vector<int64_t> ints(const onnx::NodeProto& n, const std::string& name, std::vector<int64_t> otherwise) const {
    const onnx::AttributeProto* a = attribute(n, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : otherwise;
  }
  int64_t integer(const onnx::NodeProto& n, const std::string& name, int64_t otherwise) const {
    const onnx::AttributeProto* a = attribute(n, name);
    return a ? a->i() : otherwise;
  }
  float real(const onnx::NodeProto& n, const std::string& name, float otherwise) const {
    const onnx::AttributeProto* a = attribute(n, name);
    return a ? a->f() : otherwise;
  }

  // The layer's name: its weight's initializer name without ".weight" (torch's names), else the node's.
  std::string layerName(const onnx::NodeProto& n, const std::string& weight) {
    const std::string suffix = ".weight";
    std::string name = weight.size() > suffix.size() && weight.ends_with(suffix) ? weight.substr(0, weight.size() - suffix.size()) : n.name();
    if (name.empty()) name = n.op_type() + "_" + std::to_string(m_.steps_.size());
    for (int i = 1; names_.count(name); ++i) name += "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  void add(const onnx::NodeProto& n, OnnxModel::Op op, std::shared_ptr<Module> module, std::vector<int> inputs, const std::string& name = "") {
    if (module) m_.registerModule(name, module);
    m_.steps_.push_back({op, std::move(module), std::move(inputs)});
    values_[output(n)] = static_cast<int>(m_.steps_.size());
  }

  // ONNX pads are [top, left, bottom, right]; fgq's layers pad both sides alike.
  Pair symmetricPads(const onnx::NodeProto& n) const {
    const std::vector<int64_t> p = ints(n, "pads", {0, 0, 0, 0});
    if (p.size() != 4 || p[0] != p[2] || p[1] != p[3]) fail(n, "pads must be the same on both sides of each axis");
    if (p[0] < 0 || p[1] < 0 || p[0] > kLargest || p[1] > kLargest) fail(n, "pads must be between 0 and " + std::to_string(kLargest));
    const onnx::AttributeProto* autoPad = attribute(n, "auto_pad");
    if (autoPad && autoPad->s() != "NOTSET") fail(n, "auto_pad " + autoPad->s() + " (give explicit pads)");
    return {p[0], p[1]};
  }

  // A positive pair (strides, dilations, kernel_shape).
  Pair pair(const onnx::NodeProto& n, const std::string& name, int64_t otherwise) const {
    const std::vector<int64_t> v = ints(n, name, {otherwise, otherwise});
    if (v.size() != 2) fail(n, name + " must have two entries (2-D images)");
    if (v[0] < 1 || v[1] < 1 || v[0] > kLargest || v[1] > kLargest) fail(n, name + " must be positive, found " + std::to_string(v[0]) + ", " + std::to_string(v[1]));
    return {v[0], v[1]};
  }
  static constexpr int64_t kLargest = 1 << 20;  // any dimension, stride or padding of an image CNN is far below

  void read(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") fail(n, "operator of domain '" + n.domain() + "' is not supported");
    if (op == "Constant") return constantNode(n);
    // torch.onnx.export stores equal initializers once and hands them on through Identity nodes.
    if (op == "Identity" && n.input_size() == 1 && constants_.count(input(n, 0))) {
      constants_[output(n)] = constants_.at(input(n, 0));
      return;
    }
    if (op == "Conv") return conv(n);
    if (op == "BatchNormalization") return batchNorm(n);
    if (op == "Gemm" || op == "MatMul") return linear(n);
    if (op == "MaxPool" || op == "AveragePool") return pool(n);
    if (op == "Pad") return pad(n);
    const int x = value(input(n, 0), "node '" + n.name() + "'");
    if (op == "Relu") return add(n, OnnxModel::Op::kRelu, nullptr, {x});
    if (op == "GlobalAveragePool") return add(n, OnnxModel::Op::kGlobalAveragePool, nullptr, {x});
    if (op == "Dropout" || op == "Identity") return add(n, OnnxModel::Op::kIdentity, nullptr, {x});
    if (op == "Flatten" || op == "Reshape") return flatten(n, x);
    if (op == "Add") return sum(n);
    fail(n, "operator not supported (the importer takes Conv, BatchNormalization, Relu, MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul, Add, "
            "Flatten, Reshape, Dropout, Identity, Constant)");
  }

  void constantNode(const onnx::NodeProto& n) {
    const onnx::AttributeProto* v = attribute(n, "value");
    if (!v || !v->has_t()) fail(n, "a Constant without a tensor value");
    held_.push_back(v->t());
    held_.back().set_name(output(n));
    constants_[output(n)] = &held_.back();
  }

  void conv(const onnx::NodeProto& n) {
    const int x = value(input(n, 0), "node '" + n.name() + "'");
    const Tensor w = floats(n, *constant(n, 1));
    if (w.shape().rank() != 4) fail(n, "weight of shape " + w.shape().str() + " (a 2-D convolution's is [K, C/groups, R, S])");
    if (w.shape()[2] != w.shape()[3]) fail(n, "kernel " + std::to_string(w.shape()[2]) + "x" + std::to_string(w.shape()[3]) + " (fgq's convolutions are square)");
    const TensorProto* b = constant(n, 2, false);
    Conv2dOptions o;
    o.params.groups = integer(n, "group", 1);
    if (o.params.groups < 1 || w.shape()[0] % o.params.groups != 0) fail(n, "group " + std::to_string(o.params.groups) + " for " + std::to_string(w.shape()[0]) + " output channels");
    o.inChannels = w.shape()[1] * o.params.groups;
    o.outChannels = w.shape()[0];
    o.kernel = w.shape()[2];
    o.params.stride = pair(n, "strides", 1);
    o.params.dilation = pair(n, "dilations", 1);
    o.params.padding = symmetricPads(n);
    o.bias = b != nullptr;
    auto c = std::make_shared<Conv2d>(o, random_);
    c->weight.tensor().copyFrom(w);
    if (b) c->bias.tensor().copyFrom(floats(n, *b));
    add(n, OnnxModel::Op::kModule, c, {x}, layerName(n, n.input(1)));
  }

  void batchNorm(const onnx::NodeProto& n) {
    const int x = value(input(n, 0), "node '" + n.name() + "'");
    if (integer(n, "training_mode", 0) != 0) fail(n, "training_mode 1 (export the model for inference)");
    const Tensor gamma = floats(n, *constant(n, 1)), beta = floats(n, *constant(n, 2)), mean = floats(n, *constant(n, 3)), var = floats(n, *constant(n, 4));
    auto bn = std::make_shared<BatchNorm2d>(gamma.numel(), 0.1, real(n, "epsilon", 1e-5f));
    for (auto [to, from] : {std::pair{&bn->weight.tensor(), &gamma}, {&bn->bias.tensor(), &beta}, {&bn->runningMean, &mean}, {&bn->runningVar, &var}}) {
      if (from->shape() != to->shape()) fail(n, "parameter of shape " + from->shape().str() + " for " + std::to_string(gamma.numel()) + " channels");
      to->copyFrom(*from);
    }
    add(n, OnnxModel::Op::kModule, bn, {x}, layerName(n, n.input(1)));
  }

  // Gemm (A x B^T + C, torch's Linear) or MatMul with a constant [in, out] matrix.
  void linear(const onnx::NodeProto& n) {
    const int x = value(input(n, 0), "node '" + n.name() + "'");
    const bool gemm = n.op_type() == "Gemm";
    if (gemm && (integer(n, "transA", 0) != 0 || real(n, "alpha", 1) != 1 || real(n, "beta", 1) != 1)) fail(n, "only transA 0, alpha 1 and beta 1 are supported");
    Tensor w = floats(n, *constant(n, 1));
    if (w.shape().rank() != 2) fail(n, "weight of shape " + w.shape().str() + " (expected a matrix)");
    if (!gemm || integer(n, "transB", 0) == 0) w = transposed(w);
    const TensorProto* b = gemm ? constant(n, 2, false) : nullptr;
    auto l = std::make_shared<Linear>(w.shape()[1], w.shape()[0], random_, b != nullptr);
    l->weight.tensor().copyFrom(w);
    if (b) l->bias.tensor().copyFrom(floats(n, *b));
    add(n, OnnxModel::Op::kModule, l, {x}, layerName(n, n.input(1)));
  }

  static Tensor transposed(const Tensor& w) {
    const int64_t rows = w.shape()[0], cols = w.shape()[1];
    Tensor t = Tensor::empty({cols, rows});
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) t.data<float>()[j * rows + i] = w.data<float>()[i * cols + j];
    return t;
  }

  // A zero Pad of height and width only, which torch writes before an AveragePool that counts its
  // padding: it becomes that pooling's padding.
  void pad(const onnx::NodeProto& n) {
    const onnx::AttributeProto* mode = attribute(n, "mode");
    if (mode && mode->s() != "constant") fail(n, "mode " + mode->s() + " (only constant)");
    const std::vector<int64_t> p = int64s(n, *constant(n, 1));
    const TensorProto* fill = constant(n, 2, false);
    if (fill && floats(n, *fill).toVector() != std::vector<float>{0.0f}) fail(n, "padding with a value other than 0");
    if (p.size() != 8 || p[0] || p[1] || p[4] || p[5] || p[2] != p[6] || p[3] != p[7]) fail(n, "only the same zero padding of height and width on both sides is supported");
    if (p[2] < 0 || p[3] < 0 || p[2] > kLargest || p[3] > kLargest) fail(n, "pads must be between 0 and " + std::to_string(kLargest));
    padded_[output(n)] = {input(n, 0), Pair{p[2], p[3]}};
  }

  void pool(const onnx::NodeProto& n) {
    const auto padding = padded_.find(input(n, 0));
    const bool average = n.op_type() == "AveragePool";
    if (padding != padded_.end() && !average) fail(n, "reads a zero Pad (max pooling pads with -infinity)");
    const int x = value(padding != padded_.end() ? padding->second.first : input(n, 0), "node '" + n.name() + "'");
    if (integer(n, "ceil_mode", 0) != 0) fail(n, "ceil_mode 1 is not supported");
    if (ints(n, "dilations", {1, 1}) != std::vector<int64_t>{1, 1}) fail(n, "dilated pooling is not supported");
    Pool2dParams p;
    p.kernel = pair(n, "kernel_shape", 0);
    p.stride = pair(n, "strides", 1);
    p.padding = symmetricPads(n);
    if (average && p.padding != Pair{0, 0} && integer(n, "count_include_pad", 0) == 0)
      fail(n, "count_include_pad 0 with padding (fgq's average pooling counts the padding)");
    if (padding != padded_.end()) p.padding = {p.padding[0] + padding->second.second[0], p.padding[1] + padding->second.second[1]};
    std::shared_ptr<Module> m = average ? std::shared_ptr<Module>(std::make_shared<AvgPool2d>(p)) : std::make_shared<MaxPool2d>(p);
    add(n, OnnxModel::Op::kModule, m, {x}, layerName(n, ""));
  }

  // Flatten at axis 1, or a Reshape to a constant [N or 0 or -1, -1] / [-1, K]: torch.flatten(x, 1).
  void flatten(const onnx::NodeProto& n, int x) {
    if (n.op_type() == "Flatten" && integer(n, "axis", 1) != 1) fail(n, "axis " + std::to_string(integer(n, "axis", 1)) + " (only 1, [N, rest], is supported)");
    if (n.op_type() == "Reshape") {
      const std::vector<int64_t> s = int64s(n, *constant(n, 1));
      if (s.size() != 2 || !(s[1] == -1 || s[0] == 0 || s[0] == -1))
        fail(n, "only a reshape to [N, -1] (a flatten) is supported");
    }
    add(n, OnnxModel::Op::kModule, std::make_shared<Flatten>(), {x}, layerName(n, ""));
  }

  // Two computed values (a residual connection), or a MatMul's bias.
  void sum(const onnx::NodeProto& n) {
    if (n.input_size() != 2) fail(n, "an Add of " + std::to_string(n.input_size()) + " inputs");
    const bool constantB = constants_.count(n.input(1)) > 0;
    if (!constantB) return add(n, OnnxModel::Op::kAdd, nullptr, {value(input(n, 0), "node '" + n.name() + "'"), value(n.input(1), "node '" + n.name() + "'")});
    const int x = value(input(n, 0), "node '" + n.name() + "'");
    auto* l = x > 0 ? dynamic_cast<Linear*>(m_.steps_[static_cast<size_t>(x - 1)].module.get()) : nullptr;
    const Tensor b = floats(n, *constant(n, 1));
    if (!l || l->bias.defined() || b.numel() != l->weight.shape()[0]) fail(n, "adds a constant to something other than a MatMul's output (not supported)");
    l->setBias(b.reshape(Shape{b.numel()}));
    add(n, OnnxModel::Op::kIdentity, nullptr, {x});
  }

  OnnxModel& m_;
  const onnx::GraphProto& graph_;
  std::string source_;
  std::map<std::string, const TensorProto*> constants_;
  std::list<TensorProto> held_;  // Constant nodes' values (a list: pointers to them stay valid)
  std::map<std::string, int> values_;
  std::map<std::string, std::pair<std::string, Pair>> padded_;  // a Pad's output: its input and padding
  std::set<std::string> names_;
  Random random_{0};  // the layers' initialization, overwritten by the file's weights
};

OnnxModel::OnnxModel(const onnx::ModelProto& model, const std::string& source) { OnnxReader(*this, model.graph(), source).run(); }

template <typename V, typename Apply>
V OnnxModel::walk(const V& input, Apply&& apply) const {
  std::vector<V> values{input};
  for (const Step& s : steps_) {
    std::vector<V> in;
    for (int i : s.inputs) in.push_back(values[static_cast<size_t>(i)]);
    values.push_back(apply(s, in));
  }
  return values[static_cast<size_t>(output_)];
}

Variable OnnxModel::forward(const Variable& x) {
  return walk(x, [](const Step& s, const std::vector<Variable>& in) {
    switch (s.op) {
      case Op::kModule: return s.module->forward(in[0]);
      case Op::kRelu: return relu(in[0]);
      case Op::kAdd: return add(in[0], in[1]);
      case Op::kGlobalAveragePool: return adaptiveAvgPool2d(in[0], 1, 1);
      case Op::kIdentity: break;
    }
    return in[0];
  });
}

Shape OnnxModel::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  return walk(input, [&](const Step& s, const std::vector<Shape>& in) {
    switch (s.op) {
      case Op::kModule: return s.module->inferShape(in[0], layerInputs);
      case Op::kAdd: FGQ_CHECK(in[0] == in[1], "ONNX model: an addition of " << in[0].str() << " and " << in[1].str()); break;
      case Op::kGlobalAveragePool: return Shape{in[0][0], in[0][1], 1, 1};
      case Op::kRelu:
      case Op::kIdentity: break;
    }
    return in[0];
  });
}

int OnnxModel::trace(Graph& graph, int input) const {
  return walk(input, [&](const Step& s, const std::vector<int>& in) {
    switch (s.op) {
      case Op::kModule: return s.module->trace(graph, in[0]);
      case Op::kRelu: return graph.add(GraphOp::kRelu, {in[0]});
      case Op::kAdd: return graph.add(GraphOp::kAdd, {in[0], in[1]});
      case Op::kGlobalAveragePool: return graph.addAdaptiveAvgPool(in[0], 1, 1);
      case Op::kIdentity: break;
    }
    return in[0];
  });
}

std::unique_ptr<OnnxModel> loadOnnxModel(const std::string& path) {
  onnx::ModelProto model;
  if (!model.ParseFromString(readFile(path, "ONNX model"))) throw Error(path + ": not an ONNX model (its protobuf does not parse)");
  return std::make_unique<OnnxModel>(model, path);
}

}  // namespace fgq

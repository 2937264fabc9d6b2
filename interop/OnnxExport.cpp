#include "interop/OnnxExport.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/AtomicFile.h"
#include "core/Error.h"
#include "infer/Int8Weights.h"
#include "interop/OnnxGraphBuilder.h"
#include "layers/BatchNormFolding.h"
#include "layers/Graph.h"
#include "layers/Modules.h"
#include "quant/ActivationQuantizer.h"
#include "quant/FixedQuantizer.h"
#include "quant/StoredWeights.h"
#include "quant/WeightQuantizer.h"

namespace fgq {

namespace {

using B = OnnxGraphBuilder;
using onnx::TensorProto;

constexpr int64_t kOpset = 21;    // blocked DequantizeLinear (block_size), 16-bit codes
constexpr int64_t kIrVersion = 10;

std::vector<int64_t> dimsOf(const Shape& s) {
  std::vector<int64_t> d;
  for (int64_t i = 0; i < s.rank(); ++i) d.push_back(s[i]);
  return d;
}

// A quantizer's codes lo..hi in an ONNX integer type: the type, the zero point that moves them into its
// range, and that range.
struct CodeType {
  int type;
  int64_t zero, min, max;
};

// Bytes where they fit (shifted by a zero point if need be), else 16 bits.
CodeType codeType(int64_t lo, int64_t hi, const std::string& layer) {
  const CodeType bytes[] = {{TensorProto::UINT8, 0, 0, 255}, {TensorProto::INT8, 0, -128, 127}};
  const CodeType words[] = {{TensorProto::UINT16, 0, 0, 65535}, {TensorProto::INT16, 0, -32768, 32767}};
  for (const auto& types : {bytes, words}) {
    for (int i = 0; i < 2; ++i)
      if (lo >= types[i].min && hi <= types[i].max) return types[i];
    for (int i = 0; i < 2; ++i) {
      CodeType t = types[i];
      t.zero = t.min - lo;
      if (hi - lo <= t.max - t.min && t.zero >= t.min && t.zero <= t.max) return t;
    }
  }
  throw Error(layer + ": input codes " + std::to_string(lo) + ".." + std::to_string(hi) + " fit no ONNX integer type");
}

bool isByte(const CodeType& t) { return t.type == TensorProto::UINT8 || t.type == TensorProto::INT8; }

struct CodeRange {
  float scale, lo, hi;
};

class Exporter {
 public:
  Exporter(const Module& model, const Shape& imageShape, TernaryExport ternary)
      : image_(imageShape), ternary_(ternary), graph_(traceGraph(model)) {
    for (auto& [name, module] : model.namedModules()) names_[module] = name;
  }

  onnx::ModelProto run() {
    onnx::ModelProto m;
    m.set_ir_version(kIrVersion);
    m.set_producer_name("fgq");
    onnx::OperatorSetIdProto& opset = *m.add_opset_import();
    opset.set_domain("");
    opset.set_version(kOpset);
    onnx::GraphProto& g = *m.mutable_graph();
    g.set_name("fgq");
    declare(*g.add_input(), "images", {-1, image_[0], image_[1], image_[2]});
    B b(g);
    std::vector<std::string> values(graph_.nodes().size());
    values[0] = "images";
    for (size_t i = 1; i < graph_.nodes().size(); ++i) values[i] = emit(b, static_cast<int>(i), values);
    for (onnx::NodeProto& n : *g.mutable_node())
      if (n.output(0) == values[static_cast<size_t>(graph_.output())]) n.set_output(0, "logits");
    declare(*g.add_output(), "logits", {});
    return m;
  }

 private:
  // A float tensor value; a dimension of -1 is the batch, and no dimensions leave the shape open.
  static void declare(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims) {
    v.set_name(name);
    onnx::TypeProto_Tensor& t = *v.mutable_type()->mutable_tensor_type();
    t.set_elem_type(TensorProto::FLOAT);
    if (dims.empty()) return;
    for (int64_t d : dims) {
      onnx::TensorShapeProto_Dimension& dim = *t.mutable_shape()->add_dim();
      if (d < 0) dim.set_dim_param("batch");
      else dim.set_dim_value(d);
    }
  }

  std::string nameOf(const GraphNode& n, int id) const {
    auto it = names_.find(n.module);
    return it != names_.end() ? it->second : std::string(graphOpName(n.op)) + "_" + std::to_string(id);
  }

  std::string emit(B& b, int id, const std::vector<std::string>& values) {
    const GraphNode& n = graph_.node(id);
    const std::string name = nameOf(n, id), x = values[static_cast<size_t>(n.inputs.at(0))];
    switch (n.op) {
      case GraphOp::kConv: return conv(b, name, dynamic_cast<const Conv2d&>(*n.module), x, foldedBatchNorm(id));
      case GraphOp::kLinear: return linear(b, name, dynamic_cast<const Linear&>(*n.module), x);
      case GraphOp::kBatchNorm:
        if (folded_.count(id)) return x;
        return batchNorm(b, name, dynamic_cast<const BatchNorm2d&>(*n.module), x);
      case GraphOp::kRelu: return b.node("Relu", {x}, name);
      case GraphOp::kAdd: return b.node("Add", {x, values[static_cast<size_t>(n.inputs.at(1))]}, name);
      case GraphOp::kMaxPool: return pool(b, "MaxPool", name, dynamic_cast<const MaxPool2d&>(*n.module).params(), x, {});
      case GraphOp::kAvgPool:
        return pool(b, "AveragePool", name, dynamic_cast<const AvgPool2d&>(*n.module).params(), x, {B::integer("count_include_pad", 1)});
      case GraphOp::kAdaptiveAvgPool:
        FGQ_CHECK(n.outH == 1 && n.outW == 1, name << ": adaptive average pooling to " << n.outH << "x" << n.outW << " (the ONNX export takes 1x1, GlobalAveragePool)");
        return b.node("GlobalAveragePool", {x}, name);
      case GraphOp::kFlatten: return b.node("Flatten", {x}, name, {B::integer("axis", 1)});
      case GraphOp::kInput: break;
    }
    throw Error(name + ": no ONNX form");
  }

  // In the folded form, the batch norm right after a quantized conv goes into its weight scales and
  // bias, so that onnxruntime sees DequantizeLinear -> Conv -> (Relu) -> QuantizeLinear and fuses it
  // into QLinearConv; the node it returns is skipped.
  const BatchNorm2d* foldedBatchNorm(int conv) {
    const auto& consumers = graph_.consumers(conv);
    const auto* layer = dynamic_cast<const WeightedLayer*>(graph_.node(conv).module);
    if (ternary_ != TernaryExport::kFolded || !dynamic_cast<const WeightQuantizer*>(layer->weightQuantizer()) || consumers.size() != 1 ||
        graph_.node(consumers[0]).op != GraphOp::kBatchNorm)
      return nullptr;
    folded_.insert(consumers[0]);
    return dynamic_cast<const BatchNorm2d*>(graph_.node(consumers[0]).module);
  }

  std::string conv(B& b, const std::string& name, const Conv2d& c, const std::string& x, const BatchNorm2d* bn) {
    const Shape& w = c.weight.shape();
    const Conv2dParams& p = c.params;
    std::vector<std::string> inputs{quantizedInput(b, name, c, x), bn ? foldedWeight(b, name, c, *bn) : weight(b, name, c)};
    if (bn) {
      const ChannelAffine a = batchNormAffine(*bn, c.bias);
      const std::vector<float> shift(a.shift.begin(), a.shift.end());
      inputs.push_back(b.floats(name + ".bias", {w[0]}, shift.data()));
    } else if (c.bias.defined()) {
      inputs.push_back(b.floats(name + ".bias", {w[0]}, c.bias.tensor().plain().data<float>()));
    }
    return b.node("Conv", inputs, name,
                  {B::ints("kernel_shape", {w[2], w[3]}), B::ints("strides", {p.stride[0], p.stride[1]}),
                   B::ints("pads", {p.padding[0], p.padding[1], p.padding[0], p.padding[1]}), B::ints("dilations", {p.dilation[0], p.dilation[1]}),
                   B::integer("group", p.groups)});
  }

  std::string linear(B& b, const std::string& name, const Linear& l, const std::string& x) {
    std::vector<std::string> inputs{quantizedInput(b, name, l, x), weight(b, name, l)};
    if (l.bias.defined()) inputs.push_back(b.floats(name + ".bias", {l.weight.shape()[0]}, l.bias.tensor().plain().data<float>()));
    return b.node("Gemm", inputs, name, {B::integer("transB", 1)});
  }

  std::string batchNorm(B& b, const std::string& name, const BatchNorm2d& bn, const std::string& x) {
    const int64_t c = bn.runningMean.numel();
    return b.node("BatchNormalization",
                  {x, b.floats(name + ".weight", {c}, bn.weight.tensor().plain().data<float>()), b.floats(name + ".bias", {c}, bn.bias.tensor().plain().data<float>()),
                   b.floats(name + ".running_mean", {c}, bn.runningMean.plain().data<float>()), b.floats(name + ".running_var", {c}, bn.runningVar.plain().data<float>())},
                  name, {B::real("epsilon", static_cast<float>(bn.eps))});
  }

  static std::string pool(B& b, const std::string& op, const std::string& name, const Pool2dParams& p, const std::string& x,
                          std::vector<onnx::AttributeProto> attributes) {
    attributes.push_back(B::ints("kernel_shape", {p.kernel[0], p.kernel[1]}));
    attributes.push_back(B::ints("strides", {p.stride[0], p.stride[1]}));
    attributes.push_back(B::ints("pads", {p.padding[0], p.padding[1], p.padding[0], p.padding[1]}));
    return b.node(op, {x}, name, attributes);
  }

  // The layer's input through its quantizer: QuantizeLinear, Clip where the codes are narrower than
  // their type, DequantizeLinear. onnxruntime clips bytes but not 16-bit codes: those are clipped after
  // DequantizeLinear, to code x scale, the same float product it computes.
  static std::string quantizedInput(B& b, const std::string& name, const WeightedLayer& layer, const std::string& x) {
    const Module* q = layer.inputQuantizer();
    if (!q) return x;
    CodeRange r{};
    if (const auto* a = dynamic_cast<const ActivationQuantizer*>(q)) r = {a->scale(), a->lowestCode(), a->highestCode()};
    else if (const auto* f = dynamic_cast<const FixedQuantizer*>(q)) r = {f->scale(), f->lo(), f->hi()};
    else throw Error(name + ": its input quantizer has no ONNX form (export a converted FGQ model or a VBD export, not a model in training)");
    const int64_t lo = static_cast<int64_t>(r.lo), hi = static_cast<int64_t>(r.hi);
    const CodeType t = codeType(lo, hi, name);
    const std::string scale = b.scalar(name + ".input.scale", r.scale), zero = b.integerScalar(name + ".input.zero_point", t.type, t.zero);
    std::string codes = b.node("QuantizeLinear", {x, scale, zero}, name + ".input.quantize");
    const bool narrower = lo + t.zero > t.min || hi + t.zero < t.max;
    if (narrower && isByte(t))
      codes = b.node("Clip", {codes, b.integerScalar(name + ".input.lowest", t.type, lo + t.zero), b.integerScalar(name + ".input.highest", t.type, hi + t.zero)},
                     name + ".input.clip");
    const std::string values = b.node("DequantizeLinear", {codes, scale, zero}, name + ".input.dequantize");
    if (!narrower || isByte(t)) return values;
    return b.node("Clip", {values, b.scalar(name + ".input.lowest", r.lo * r.scale), b.scalar(name + ".input.highest", r.hi * r.scale)}, name + ".input.clip");
  }

  std::string weight(B& b, const std::string& name, const WeightedLayer& layer) const {
    const Tensor w = layer.weight.tensor().plain();
    const std::vector<int64_t> dims = dimsOf(w.shape());
    if (!layer.weightQuantizer()) return b.floats(name + ".weight", dims, w.data<float>());
    if (const auto* stored = dynamic_cast<const StoredWeights*>(layer.weightQuantizer())) return pow2Weight(b, name, stored->weights());
    auto* wq = dynamic_cast<WeightQuantizer*>(layer.weightQuantizer());
    FGQ_CHECK(wq, name << ": its weight quantizer has no ONNX form (export a converted FGQ model or a VBD export, not a model in training)");
    const QuantizedWeights& q = wq->quantized(w);
    if (q.format->id == WeightFormatId::kTernary && ternary_ == TernaryExport::kExact) return ternaryWeight(b, name, q);
    return int8Weight(b, name, dims, infer::int8Weights(q, name));
  }

  static std::string int8Weight(B& b, const std::string& name, const std::vector<int64_t>& dims, const infer::Int8Weights& w) {
    return b.node("DequantizeLinear", {b.int8s(name + ".weight.codes", dims, w.codes), b.floats(name + ".weight.scales", {dims[0]}, w.scales.data())},
                  name + ".weight", {B::integer("axis", 0)});
  }

  // VBD's codes with, per output channel, the scale 2^E and the zero point: w = (code + z) 2^E is
  // DequantizeLinear's (code - zero_point) x scale with zero_point = -z, in bytes where codes and zero
  // points fit, else 16 bits.
  static std::string pow2Weight(B& b, const std::string& name, const QuantizedWeights& q) {
    FGQ_CHECK(q.format->id == WeightFormatId::kPow2, name << ": stored weights of format " << q.format->name << " (the ONNX export reads VBD's pow2 ones)");
    std::vector<int64_t> codes(q.codes.begin(), q.codes.end()), zeros;
    for (int32_t z : q.zeroPoints) zeros.push_back(-static_cast<int64_t>(z));
    const auto fitsByte = [](int64_t v) { return v >= -128 && v <= 127; };
    const bool bytes = std::all_of(codes.begin(), codes.end(), fitsByte) && std::all_of(zeros.begin(), zeros.end(), fitsByte);
    const bool words = std::all_of(zeros.begin(), zeros.end(), [](int64_t v) { return v >= -32768 && v <= 32767; });
    FGQ_CHECK(bytes || words, name << ": a zero point beyond 16 bits");
    const int type = bytes ? TensorProto::INT8 : TensorProto::INT16;
    const std::vector<int64_t> dims = dimsOf(q.shape);
    return b.node("DequantizeLinear",
                  {b.integers(name + ".weight.codes", dims, type, codes), b.floats(name + ".weight.scales", {dims[0]}, q.scales.data()),
                   b.integers(name + ".weight.zero_points", {dims[0]}, type, zeros)},
                  name + ".weight", {B::integer("axis", 0)});
  }

  // The folded int8 weight with the batch norm's scale in each channel's weight scale (a negative one
  // negating the channel's codes: they are symmetric, and a scale stays positive).
  static std::string foldedWeight(B& b, const std::string& name, const WeightedLayer& layer, const BatchNorm2d& bn) {
    const Tensor w = layer.weight.tensor().plain();
    infer::Int8Weights folded = infer::int8Weights(dynamic_cast<WeightQuantizer&>(*layer.weightQuantizer()).quantized(w), name);
    const ChannelAffine a = batchNormAffine(bn, layer.bias);
    const int64_t k = w.shape()[0], perChannel = w.numel() / k;
    for (int64_t c = 0; c < k; ++c) {
      const double scale = a.scale[static_cast<size_t>(c)];
      folded.scales[static_cast<size_t>(c)] = static_cast<float>(folded.scales[static_cast<size_t>(c)] * std::abs(scale));
      if (scale < 0)
        for (int64_t j = 0; j < perChannel; ++j) folded.codes[static_cast<size_t>(c * perChannel + j)] = static_cast<int8_t>(-folded.codes[static_cast<size_t>(c * perChannel + j)]);
    }
    return int8Weight(b, name, dimsOf(w.shape()), folded);
  }

  // Ternary codes with their groups' scales: groups of N channels as blocks along axis 1 (fgq keeps
  // their scales in (k, position, chunk) order, ONNX in the weight's own [K, chunk, R, S]).
  static std::string ternaryWeight(B& b, const std::string& name, const QuantizedWeights& q) {
    FGQ_CHECK(q.negativeScales.empty(), name << ": solver two_scale keeps two scales per group, DequantizeLinear one (convert with solver exact)");
    const std::vector<int64_t> dims = dimsOf(q.shape);
    const std::vector<int8_t> codes(q.codes.begin(), q.codes.end());
    const std::string codesName = b.int8s(name + ".weight.codes", dims, codes);
    switch (q.groups.kind) {
      case GroupSpec::Kind::kLayer: return b.node("DequantizeLinear", {codesName, b.scalar(name + ".weight.scales", q.scales.at(0))}, name + ".weight");
      case GroupSpec::Kind::kFilter:
        return b.node("DequantizeLinear", {codesName, b.floats(name + ".weight.scales", {dims[0]}, q.scales.data())}, name + ".weight", {B::integer("axis", 0)});
      case GroupSpec::Kind::kChannels: break;
    }
    const int64_t k = dims[0], c = dims[1], n = q.groups.n, chunks = (c + n - 1) / n, rs = q.shape.numel() / (k * c);
    std::vector<float> scales(static_cast<size_t>(k * chunks * rs));
    for (int64_t o = 0; o < k; ++o)
      for (int64_t chunk = 0; chunk < chunks; ++chunk)
        for (int64_t pos = 0; pos < rs; ++pos)
          scales[static_cast<size_t>((o * chunks + chunk) * rs + pos)] = q.scales.at(static_cast<size_t>((o * rs + pos) * chunks + chunk));
    std::vector<int64_t> scaleDims = dims;
    scaleDims[1] = chunks;
    return b.node("DequantizeLinear", {codesName, b.floats(name + ".weight.scales", scaleDims, scales.data())}, name + ".weight",
                  {B::integer("axis", 1), B::integer("block_size", n)});
  }

  Shape image_;
  TernaryExport ternary_;
  Graph graph_;
  std::map<const Module*, std::string> names_;
  std::set<int> folded_;  // batch norm nodes folded into the conv before them
};

}  // namespace

onnx::ModelProto exportOnnx(const Module& model, const Shape& imageShape, TernaryExport ternary) {
  FGQ_CHECK(imageShape.rank() == 3, "ONNX export: an image shape [C, H, W] is needed, found " << imageShape.str());
  return Exporter(model, imageShape, ternary).run();
}

void writeOnnx(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  FGQ_CHECK(model.SerializeToString(&bytes), path << ": cannot serialize the ONNX model (over protobuf's 2 GB limit?)");
  writeFileAtomically(path, bytes);
}

}  // namespace fgq

#include "infer/IntegerModel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "infer/Int8Weights.h"
#include "infer/OnednnInt8Step.h"
#include "infer/TensorSteps.h"
#include "infer/TernaryConvStep.h"
#include "layers/BatchNormFolding.h"
#include "quant/ActivationQuantizer.h"
#include "quant/WeightQuantizer.h"

namespace fgq::infer {

TernaryEngine parseTernaryEngine(const std::string& name) {
  if (name == "integer") return TernaryEngine::kExact;
  if (name == "integer-folded") return TernaryEngine::kFolded;
  throw Error("unknown engine '" + name + "' (expected fp32, integer or integer-folded)");
}

// Turns the graph into steps in three passes: fusion (each conv or inner product takes the batch norm,
// residual addition and ReLU after it), demand (which values are wanted as f32, and as the codes of
// which input quantizers: walked backwards, through max pooling, which commutes with quantization), and
// emission (buffers and steps, forwards).
class Lowering {
 public:
  Lowering(IntegerModel& m, Module& model, const EngineOptions& options)
      : m_(m), model_(model), options_(options), graph_(traceGraph(model)) {
    for (auto& [name, module] : model.namedModules()) names_[module] = name;
    const size_t n = graph_.nodes().size();
    extents_.resize(n);
    consumers_.resize(n);
    for (size_t i = 0; i < n; ++i) consumers_[i] = graph_.consumers(static_cast<int>(i));
    wantValues_.assign(n, false);
    wantCodes_.resize(n);
    values_.assign(n, -1);
    codes_.resize(n);
  }

  void run() {
    shapes();
    fuse();
    demand();
    emit();
  }

 private:
  struct Plan {
    int first, last;               // graph nodes: the op and the last node fused into it
    int bn = -1, add = -1, residual = -1;
    bool relu = false;
  };

  std::string what(int node) const { return graph_.describe(node, model_); }
  std::string nameOf(const Module* m) const {
    auto it = names_.find(m);
    return it == names_.end() ? "(a module the model does not register)" : it->second;
  }
  const GraphNode& node(int id) const { return graph_.node(id); }
  int soleConsumer(int id) const { return consumers_[static_cast<size_t>(id)].size() == 1 ? consumers_[static_cast<size_t>(id)][0] : -1; }

  const WeightedLayer& layer(int id) const { return *dynamic_cast<const WeightedLayer*>(node(id).module); }

  // Each node's output extent per image (NHWC), and the geometry checks the engine needs.
  void shapes() {
    const Shape& image = m_.imageShape_;
    extents_[0] = {image[1], image[2], image[0]};
    for (size_t i = 1; i < graph_.nodes().size(); ++i) {
      const GraphNode& n = graph_.nodes()[i];
      const Extent in = extents_[static_cast<size_t>(n.inputs.at(0))];
      Extent out = in;
      switch (n.op) {
        case GraphOp::kConv: {
          const auto& conv = dynamic_cast<const Conv2d&>(*n.module);
          const ConvGeometry g = geometry(conv, in);
          out = {g.outH(), g.outW(), g.outC};
          break;
        }
        case GraphOp::kLinear: {
          FGQ_CHECK(in.h == 1 && in.w == 1, what(static_cast<int>(i)) << ": an inner product on an image of " << in.h << "x" << in.w);
          out = {1, 1, layer(static_cast<int>(i)).weight.shape()[0]};
          break;
        }
        case GraphOp::kMaxPool:
        case GraphOp::kAvgPool: {
          const Pool2dParams& p = n.op == GraphOp::kMaxPool ? dynamic_cast<const MaxPool2d&>(*n.module).params() : dynamic_cast<const AvgPool2d&>(*n.module).params();
          const Shape s = pool2dOutputShape(Shape{1, in.c, in.h, in.w}, p);
          out = {s[2], s[3], in.c};
          break;
        }
        case GraphOp::kAdaptiveAvgPool: out = {n.outH, n.outW, in.c}; break;
        case GraphOp::kFlatten: out = {1, 1, in.size()}; break;
        default: break;
      }
      extents_[i] = out;
    }
  }

  ConvGeometry geometry(const Conv2d& conv, const Extent& in) const {
    const Shape& w = conv.weight.shape();
    FGQ_CHECK(conv.params.groups == 1 && conv.params.dilation == Pair({1, 1}),
              nameOf(&conv) << ": grouped or dilated convolution (" << conv.params.str() << ") is not in the integer engine");
    ConvGeometry g;
    g.inC = in.c;
    g.inH = in.h;
    g.inW = in.w;
    g.outC = w[0];
    g.kH = w[2];
    g.kW = w[3];
    g.strideH = conv.params.stride[0];
    g.strideW = conv.params.stride[1];
    g.padH = conv.params.padding[0];
    g.padW = conv.params.padding[1];
    return g;
  }

  void fuse() {
    std::vector<int> planOf(graph_.nodes().size(), -2);  // -2: not yet lowered; node 0 (the input) counts as before every plan
    planOf[0] = -1;
    for (int id = 1; id < static_cast<int>(graph_.nodes().size()); ++id) {
      if (planOf[static_cast<size_t>(id)] != -2) continue;
      const GraphOp op = node(id).op;
      Plan p{id, id};
      if (op == GraphOp::kConv || op == GraphOp::kLinear) {
        int next = soleConsumer(p.last);
        if (next >= 0 && node(next).op == GraphOp::kBatchNorm) {
          p.last = p.bn = next;
          next = soleConsumer(next);
        }
        if (next >= 0 && node(next).op == GraphOp::kAdd) {
          const auto& in = node(next).inputs;
          const int other = in[0] == p.last ? in[1] : in[0];
          // The shortcut must already exist: the add goes to whichever side is computed last.
          if (planOf[static_cast<size_t>(other)] != -2) {
            p.last = p.add = next;
            p.residual = other;
            next = soleConsumer(next);
          }
        }
        if (next >= 0 && node(next).op == GraphOp::kRelu) {
          p.last = next;
          p.relu = true;
        }
      } else {
        FGQ_CHECK(op == GraphOp::kMaxPool || op == GraphOp::kAdaptiveAvgPool || op == GraphOp::kFlatten,
                  what(id) << ": cannot run in integers here (" << refusal(op) << ")");
      }
      for (int n = p.first; n <= p.last; ++n)
        if (n == p.first || n == p.bn || n == p.add || n == p.last) planOf[static_cast<size_t>(n)] = static_cast<int>(plans_.size());
      plans_.push_back(p);
    }
  }

  static const char* refusal(GraphOp op) {
    switch (op) {
      case GraphOp::kBatchNorm: return "a batch norm is folded into the conv before it, and this one follows none";
      case GraphOp::kRelu: return "a ReLU is fused into the conv or inner product before it, and this one follows none";
      case GraphOp::kAdd: return "a residual addition is fused into the conv computed last of its two inputs";
      case GraphOp::kAvgPool: return "average pooling with a window is not in the integer engine";
      default: return "no integer step for it";
    }
  }

  CodeFormat inputFormat(int layerNode) const {
    const auto* q = dynamic_cast<const ActivationQuantizer*>(layer(layerNode).inputQuantizer());
    FGQ_CHECK(q, what(layerNode) << ": no input quantizer (activation_bits 0?): the integer engine needs its input as integer codes");
    return {q->scale(), q->lowestCode(), q->highestCode()};
  }

  static void want(std::vector<CodeFormat>& formats, const CodeFormat& f) {
    if (std::find(formats.begin(), formats.end(), f) == formats.end()) formats.push_back(f);
  }

  void demand() {
    wantValues_[static_cast<size_t>(graph_.output())] = true;
    for (auto p = plans_.rbegin(); p != plans_.rend(); ++p) {
      const GraphNode& n = node(p->first);
      const size_t in = static_cast<size_t>(n.inputs[0]), out = static_cast<size_t>(p->last);
      if (n.op == GraphOp::kConv || n.op == GraphOp::kLinear) {
        want(wantCodes_[in], inputFormat(p->first));
        if (p->residual >= 0) wantValues_[static_cast<size_t>(p->residual)] = true;
      } else if (n.op == GraphOp::kMaxPool) {
        for (const CodeFormat& f : wantCodes_[out]) want(wantCodes_[in], f);
        if (wantValues_[out]) wantValues_[in] = true;
      } else {
        wantValues_[in] = true;
      }
    }
    FGQ_CHECK(!wantValues_[0], "the model's input goes to " << what(consumers_[0].at(0)) << " as f32: the integer engine starts with a quantized layer");
  }

  int valuesBuffer(int id) {
    int& b = values_[static_cast<size_t>(id)];
    if (b < 0) b = m_.plan_.add(extents_[static_cast<size_t>(id)].size() * static_cast<int64_t>(sizeof(float)));
    return b;
  }
  int codesBuffer(int id, const CodeFormat& f) {
    for (const auto& [format, buffer] : codes_[static_cast<size_t>(id)])
      if (format == f) return buffer;
    codes_[static_cast<size_t>(id)].emplace_back(f, m_.plan_.add(extents_[static_cast<size_t>(id)].size()));
    return codes_[static_cast<size_t>(id)].back().second;
  }

  // Whether the f32 values of `id` are read by `reader` alone, every other consumer reading codes (written
  // when `id` was): then the step fused with `reader` writes its values over them, in place. A residual
  // that stays where it is saves a copy (oneDNN) or a second stream of memory traffic (the exact kernel).
  // The buffer may already hold a chain of such values (every block of a stage adds in place over the
  // last): each earlier value of the chain was read only by the step that wrote the next over it.
  bool onlyReaderOfValues(int id, int reader) const {
    if (id == graph_.output()) return false;
    for (int c : consumers_[static_cast<size_t>(id)])
      if (c != reader && node(c).op != GraphOp::kConv && node(c).op != GraphOp::kLinear) return false;
    return true;
  }

  // Codes wanted of node `id` that its step did not write: quantized from its values.
  void quantizeRest(int id, size_t from) {
    const auto& formats = wantCodes_[static_cast<size_t>(id)];
    for (size_t i = from; i < formats.size(); ++i)
      m_.steps_.push_back(std::make_unique<QuantizeStep>(what(id), valuesBuffer(id), extents_[static_cast<size_t>(id)], formats[i],
                                                         codesBuffer(id, formats[i]), false));
  }

  void emit() {
    m_.input_ = m_.plan_.add(extents_[0].size() * static_cast<int64_t>(sizeof(float)));
    for (const CodeFormat& f : wantCodes_[0])
      m_.steps_.push_back(std::make_unique<QuantizeStep>("input", m_.input_, extents_[0], f, codesBuffer(0, f), true));
    for (const Plan& p : plans_) {
      const GraphOp op = node(p.first).op;
      if (op == GraphOp::kConv || op == GraphOp::kLinear) emitLayer(p);
      else if (op == GraphOp::kMaxPool) emitMaxPool(p);
      else emitFloat(p);
    }
    m_.output_ = values_[static_cast<size_t>(graph_.output())];
    m_.outputsPerImage_ = extents_[static_cast<size_t>(graph_.output())].size();
  }

  void emitLayer(const Plan& p) {
    const int in = node(p.first).inputs[0];
    auto& wl = const_cast<WeightedLayer&>(layer(p.first));
    auto* wq = dynamic_cast<WeightQuantizer*>(wl.weightQuantizer());
    LayerSpec s;
    s.name = nameOf(node(p.first).module);
    FGQ_CHECK(wq, s.name << ": FP32 weights (no weight quantizer): the integer engine runs converted FGQ models");
    s.linear = node(p.first).op == GraphOp::kLinear;
    if (s.linear) {
      s.geometry.inC = extents_[static_cast<size_t>(in)].c;
      s.geometry.outC = wl.weight.shape()[0];
    } else {
      s.geometry = geometry(dynamic_cast<const Conv2d&>(wl), extents_[static_cast<size_t>(in)]);
    }
    s.weights = &wq->quantized(wl.weight.tensor());
    s.input = inputFormat(p.first);
    s.inputCodes = codesBuffer(in, s.input);
    foldBatchNorm(wl, p.bn, s);
    s.relu = p.relu;
    if (p.residual >= 0) s.residual = values_.at(static_cast<size_t>(p.residual));
    const auto& formats = wantCodes_[static_cast<size_t>(p.last)];
    // A ternary layer with one alpha per filter is a plain int8 conv with per-channel scales, exactly:
    // both engines run it on oneDNN (infer/Int8Weights.h).
    const bool ternary = s.weights->format->id == WeightFormatId::kTernary;
    const bool exact = ternary && options_.ternary == TernaryEngine::kExact && !oneGroupPerFilter(*s.weights);
    // oneDNN writes either codes or values; the exact kernel both at once.
    const bool needValues = wantValues_[static_cast<size_t>(p.last)] || formats.size() > 1 || (!exact && p.residual >= 0);
    if (needValues && p.residual >= 0 && onlyReaderOfValues(p.residual, p.add)) values_[static_cast<size_t>(p.last)] = s.residual;
    if (needValues) s.values = valuesBuffer(p.last);
    if (!formats.empty()) {
      s.codeFormat = formats[0];
      s.codes = codesBuffer(p.last, formats[0]);
    }
    if (exact) m_.steps_.push_back(std::make_unique<TernaryConvStep>(std::move(s), m_.plan_, options_.scalarKernel));
    else m_.steps_.push_back(std::make_unique<OnednnInt8Step>(std::move(s)));
    quantizeRest(p.last, 1);
  }

  // Per output channel: y = a * (conv + bias - mean) + beta with a = gamma / sqrt(var + eps).
  void foldBatchNorm(const WeightedLayer& wl, int bnNode, LayerSpec& s) const {
    const int64_t k = s.geometry.outC;
    s.bnScale.assign(static_cast<size_t>(k), 1.0f);
    s.shift.assign(static_cast<size_t>(k), 0.0f);
    if (bnNode < 0) {
      if (wl.bias.defined()) s.shift = wl.bias.tensor().plain().toVector();
      return;
    }
    const ChannelAffine a = batchNormAffine(dynamic_cast<const BatchNorm2d&>(*node(bnNode).module), wl.bias);
    s.bnScale.assign(a.scale.begin(), a.scale.end());
    s.shift.assign(a.shift.begin(), a.shift.end());
  }

  void emitMaxPool(const Plan& p) {
    const int in = node(p.first).inputs[0];
    const auto& pool = dynamic_cast<const MaxPool2d&>(*node(p.first).module);
    const std::string name = nameOf(&pool);
    const Extent from = extents_[static_cast<size_t>(in)], to = extents_[static_cast<size_t>(p.first)];
    for (const CodeFormat& f : wantCodes_[static_cast<size_t>(p.first)])
      m_.steps_.push_back(std::make_unique<MaxPoolStep>(name, pool.params(), from, to, codesBuffer(in, f), codesBuffer(p.first, f), f.isSigned() ? 's' : 'u'));
    if (wantValues_[static_cast<size_t>(p.first)])
      m_.steps_.push_back(std::make_unique<MaxPoolStep>(name, pool.params(), from, to, valuesBuffer(in), valuesBuffer(p.first), 'f'));
  }

  void emitFloat(const Plan& p) {
    const int in = node(p.first).inputs[0];
    const Extent from = extents_[static_cast<size_t>(in)];
    if (node(p.first).op == GraphOp::kAdaptiveAvgPool) {
      m_.steps_.push_back(std::make_unique<AdaptiveAvgPoolStep>(from, extents_[static_cast<size_t>(p.first)], valuesBuffer(in), valuesBuffer(p.first)));
    } else if (from.h * from.w == 1) {
      values_[static_cast<size_t>(p.first)] = valuesBuffer(in);  // flattening one pixel moves nothing
    } else {
      m_.steps_.push_back(std::make_unique<FlattenStep>(from, valuesBuffer(in), valuesBuffer(p.first)));
    }
    quantizeRest(p.first, 0);
  }

  IntegerModel& m_;
  Module& model_;
  const EngineOptions& options_;
  Graph graph_;
  std::map<const Module*, std::string> names_;
  std::vector<Extent> extents_;
  std::vector<std::vector<int>> consumers_;
  std::vector<Plan> plans_;
  std::vector<bool> wantValues_;
  std::vector<std::vector<CodeFormat>> wantCodes_;
  std::vector<int> values_;
  std::vector<std::vector<std::pair<CodeFormat, int>>> codes_;
};

IntegerModel::IntegerModel(Module& model, const Shape& imageShape, const EngineOptions& options)
    : imageShape_(imageShape), imagesPerPass_(options.imagesPerPass), passBytes_(options.passBytes) {
  FGQ_CHECK(imageShape.rank() == 3, "the integer engine needs an image shape [C, H, W], found " << imageShape.str());
  FGQ_CHECK(options.imagesPerPass >= 0, "the integer engine's images per pass must be 0 (chosen per step) or more, found " << options.imagesPerPass);
  FGQ_CHECK(options.passBytes > 0, "the integer engine's bytes per pass must be positive, found " << options.passBytes);
  Lowering(*this, model, options).run();
}

IntegerModel::IntegerModel(IntegerModel&&) noexcept = default;
IntegerModel::~IntegerModel() = default;

Tensor IntegerModel::forward(const Tensor& imagesIn, std::vector<double>* stepSeconds) {
  const Tensor images = imagesIn.plain();
  const bool fits = images.shape().rank() == 4 && Shape({images.shape()[1], images.shape()[2], images.shape()[3]}) == imageShape_;
  FGQ_CHECK(fits,
            "the integer engine was lowered for images " << imageShape_.str() << ", given a batch " << images.shape().str());
  const int64_t batch = images.shape()[0];
  auto it = workspaces_.find(batch);
  if (it == workspaces_.end()) it = workspaces_.emplace(batch, Workspace(plan_, batch)).first;
  Workspace& ws = it->second;
  std::memcpy(ws.floats(input_), images.data<float>(), static_cast<size_t>(images.numel()) * sizeof(float));
  if (stepSeconds) stepSeconds->assign(steps_.size(), 0.0);
  const std::vector<int64_t> pass = imagesPerPass(batch);
  for (size_t begin = 0, end = 0; begin < steps_.size(); begin = end) {
    while (end < steps_.size() && pass[end] == pass[begin]) ++end;
    runSteps(begin, end, pass[begin], ws, stepSeconds);
  }
  Tensor logits = Tensor::empty({batch, outputsPerImage_});
  std::memcpy(logits.data<float>(), ws.floats(output_), static_cast<size_t>(logits.numel()) * sizeof(float));
  return logits;
}

void IntegerModel::runSteps(size_t begin, size_t end, int64_t pass, Workspace& ws, std::vector<double>* stepSeconds) {
  for (int64_t first = 0; first < ws.batch(); first += pass) {
    Workspace images = ws.images(first, std::min(pass, ws.batch() - first));
    for (size_t i = begin; i < end; ++i) {
      const auto start = std::chrono::steady_clock::now();
      steps_[i]->run(images);
      if (stepSeconds) (*stepSeconds)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
}

std::vector<int64_t> IntegerModel::imagesPerPass(int64_t batch) const {
  std::vector<int64_t> passes;
  for (const auto& step : steps_) {
    if (imagesPerPass_ > 0) {
      passes.push_back(std::min(imagesPerPass_, batch));
      continue;
    }
    std::vector<int> ids = step->buffers();
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    int64_t bytes = 0;
    for (int id : ids) bytes += plan_.bytesPerImage(id);
    // The whole batch where it fits, else a power of two, so that neighbouring steps of about the same
    // size share their passes.
    int64_t images = 1;
    while (images * 2 <= batch && images * 2 * bytes <= passBytes_) images *= 2;
    passes.push_back(batch * bytes <= passBytes_ ? batch : images);
  }
  // No step takes more images than a later one: a few long stretches of steps, each the size of its
  // largest step (activations shrink along a CNN), rather than many that alternate.
  for (size_t i = passes.size(); i-- > 1;) passes[i - 1] = std::min(passes[i - 1], passes[i]);
  return passes;
}

std::vector<int64_t> IntegerModel::macsPerImage() const {
  std::vector<int64_t> macs;
  for (const auto& step : steps_) macs.push_back(step->macsPerImage());
  return macs;
}

std::vector<std::string> IntegerModel::describe() const {
  std::vector<std::string> lines;
  for (const auto& step : steps_) lines.push_back(step->describe());
  return lines;
}

}  // namespace fgq::infer

#include "quant/Vbd.h"

#include <algorithm>
#include <cmath>

#include "autograd/Functions.h"
#include "core/TensorOps.h"
#include "layers/Modules.h"
#include "quant/Fgq.h"
#include "quant/FixedQuantizer.h"

namespace fgq {

void foldBatchNorm(Module& model) {
  const auto modules = model.namedModules();
  for (size_t i = 0; i + 1 < modules.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(modules[i].second);
    auto* bn = dynamic_cast<BatchNorm2d*>(modules[i + 1].second);
    if (!conv || !bn) continue;
    const int64_t k = conv->weight.shape()[0], perChannel = conv->weight.tensor().numel() / k;
    float* w = conv->weight.tensor().data<float>();
    Tensor bias = conv->bias.defined() ? conv->bias.tensor().clone() : Tensor::zeros({k});
    for (int64_t c = 0; c < k; ++c) {
      const double factor = bn->weight.tensor().data<float>()[c] / std::sqrt(bn->runningVar.data<float>()[c] + bn->eps);
      for (int64_t j = 0; j < perChannel; ++j) w[c * perChannel + j] = static_cast<float>(w[c * perChannel + j] * factor);
      bias.data<float>()[c] = static_cast<float>((bias.data<float>()[c] - bn->runningMean.data<float>()[c]) * factor +
                                                 bn->bias.tensor().data<float>()[c]);
    }
    conv->setBias(bias);
    // The batch norm stays in the graph as an exact identity in evaluation mode.
    fill(bn->weight.tensor(), 1.0);
    fill(bn->bias.tensor(), 0.0);
    fill(bn->runningMean, 0.0);
    fill(bn->runningVar, 1.0 - bn->eps);
    bn->weight.setRequiresGrad(false);
    bn->bias.setRequiresGrad(false);
  }
}

void installVbd(Module& model, const std::vector<Tensor>& batches, const VbdOptions& options) {
  FGQ_CHECK(!batches.empty(), "VBD needs at least one calibration batch");
  const auto layers = weightedLayers(model);
  // Input ranges from the FP32 model: a transparent observer on every input.
  struct RangeObserver : Module {
    double maxAbs = 0, min = 0;
    Variable forward(const Variable& x) override {
      const Tensor v = x.tensor().plain();
      for (int64_t i = 0; i < v.numel(); ++i) {
        maxAbs = std::max(maxAbs, static_cast<double>(std::abs(v.data<float>()[i])));
        min = std::min(min, static_cast<double>(v.data<float>()[i]));
      }
      return x;
    }
  };
  std::vector<std::shared_ptr<RangeObserver>> observers;
  for (auto& [name, layer] : layers) {
    observers.push_back(std::make_shared<RangeObserver>());
    layer->setInputQuantizer(observers.back());
  }
  model.eval();
  {
    NoGradGuard noGrad;
    for (const Tensor& batch : batches) model(Variable(batch));
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    WeightedLayer* layer = layers[i].second;
    const bool first = i == 0, last = i + 1 == layers.size();
    const double inputBits = first ? options.edgeBits : options.initialBits;
    const bool nonNegative = observers[i]->min >= 0;
    // An unsigned window [0, 2^B - 1] covers max|x| with one exponent step less than a signed one.
    const double inputExponent = initialExponent(observers[i]->maxAbs, nonNegative ? inputBits + 1 : inputBits);
    layer->replaceInputQuantizer(std::make_shared<VbdQuantizer>(inputBits, inputExponent, nonNegative));
    const double weightBits = last ? options.edgeBits : options.initialBits;
    layer->setWeightQuantizer(std::make_shared<VbdQuantizer>(weightBits, initialExponent(maxAbs(layer->weight.tensor()), weightBits), false));
  }
}

std::vector<VbdTensor> vbdTensors(const Module& model) {
  std::vector<VbdTensor> out;
  for (auto& [name, layer] : weightedLayers(model)) {
    if (auto* q = dynamic_cast<VbdQuantizer*>(layer->weightQuantizer()))
      out.push_back({name + ".weight", q, layer->weight.tensor().numel(), true});
    if (auto* q = dynamic_cast<VbdQuantizer*>(layer->inputQuantizer())) {
      const Shape& in = layer->lastInputShape();
      FGQ_CHECK(in.rank() > 0, "run one forward pass before counting " << name << "'s input");
      out.push_back({name + ".input", q, in.numel() / in[0], false});
    }
  }
  return out;
}

Variable averageBits(const std::vector<VbdTensor>& tensors, bool weightsOnly) {
  Variable total;
  double count = 0;
  for (const VbdTensor& t : tensors) {
    if (weightsOnly && !t.isWeight) continue;
    const Variable term = scale(relu(t.quantizer->bits), static_cast<double>(t.count));
    total = total.defined() ? add(total, term) : term;
    count += static_cast<double>(t.count);
  }
  FGQ_CHECK(total.defined(), "no VBD quantizer to count bits of");
  return scale(total, 1.0 / count);
}

}  // namespace fgq

namespace fgq {
namespace {

Tensor ints(const std::vector<int32_t>& values, const Shape& shape) {
  Tensor t = Tensor::empty(shape, DType::kS32);
  std::copy(values.begin(), values.end(), t.data<int32_t>());
  return t;
}

const Tensor& need(const std::map<std::string, Tensor>& m, const std::string& name, const std::string& source) {
  auto it = m.find(name);
  if (it == m.end()) throw Error(source + ": missing tensor '" + name + "'");
  return it->second;
}

}  // namespace

std::map<std::string, Tensor> exportVbd(Module& model) {
  std::map<std::string, Tensor> out;
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* wq = dynamic_cast<VbdQuantizer*>(layer->weightQuantizer());
    auto* iq = dynamic_cast<VbdQuantizer*>(layer->inputQuantizer());
    FGQ_CHECK(wq && iq, name << " has no VBD quantizers to export");
    for (VbdQuantizer* q : {wq, iq}) q->roundForExport();
    const Tensor w = layer->weight.tensor().plain();
    const int64_t channels = wq->exponent.tensor().numel(), perChannel = w.numel() / channels;
    const int bits = static_cast<int>(wq->bits.tensor().data<float>()[0]);
    std::vector<int32_t> codes(w.numel()), exponents(channels), zeros(channels);
    for (int64_t c = 0; c < channels; ++c) {
      exponents[c] = static_cast<int32_t>(wq->exponent.tensor().data<float>()[c]);
      zeros[c] = static_cast<int32_t>(std::lround(wq->alpha(c)));
      const double half = std::ldexp(1.0, bits - 1), scale = std::ldexp(1.0, exponents[c]);
      for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i)
        codes[i] = bits <= 0 ? 0 : static_cast<int32_t>(std::nearbyint(std::clamp(w.data<float>()[i] / scale, zeros[c] - half, zeros[c] + half - 1)));
    }
    out[name + ".weight.codes"] = ints(codes, w.shape());
    out[name + ".weight.exponent"] = ints(exponents, {channels});
    out[name + ".weight.zero_point"] = ints(zeros, {channels});
    out[name + ".weight.bits"] = ints({bits}, {1});
    out[name + ".input.exponent"] = ints({static_cast<int32_t>(iq->exponent.tensor().data<float>()[0])}, {1});
    out[name + ".input.zero_point"] = ints({static_cast<int32_t>(std::lround(iq->alpha()))}, {1});
    out[name + ".input.bits"] = ints({static_cast<int32_t>(iq->bits.tensor().data<float>()[0])}, {1});
    if (layer->bias.defined()) out[name + ".bias"] = layer->bias.tensor().clone();
  }
  return out;
}

double loadVbdExport(Module& model, const std::map<std::string, Tensor>& e, const std::string& source) {
  double weightBits = 0, weightCount = 0;
  for (auto& [name, layer] : weightedLayers(model)) {
    const Tensor& codes = need(e, name + ".weight.codes", source);
    weightBits += static_cast<double>(codes.numel()) * std::max(0, need(e, name + ".weight.bits", source).data<int32_t>()[0]);
    weightCount += static_cast<double>(codes.numel());
    if (codes.shape() != layer->weight.shape())
      throw Error(source + ": tensor '" + name + ".weight.codes' has shape " + codes.shape().str() + ", expected " + layer->weight.shape().str());
    const Tensor& exponents = need(e, name + ".weight.exponent", source);
    const int64_t channels = exponents.numel(), perChannel = codes.numel() / channels;
    Tensor w = Tensor::empty(codes.shape());
    for (int64_t i = 0; i < codes.numel(); ++i)
      w.data<float>()[i] = static_cast<float>(std::ldexp(static_cast<double>(codes.data<int32_t>()[i]), exponents.data<int32_t>()[i / perChannel]));
    layer->weight.tensor().copyFrom(w);
    if (e.count(name + ".bias")) layer->setBias(e.at(name + ".bias"));
    const int bits = need(e, name + ".input.bits", source).data<int32_t>()[0];
    const int exponent = need(e, name + ".input.exponent", source).data<int32_t>()[0];
    const double zero = need(e, name + ".input.zero_point", source).data<int32_t>()[0], half = std::ldexp(1.0, bits - 1);
    if (bits <= 0) {  // pruned: the input is zero
      layer->replaceInputQuantizer(std::make_shared<FixedQuantizer>(1.f, 0.f, 0.f));
      continue;
    }
    layer->replaceInputQuantizer(std::make_shared<FixedQuantizer>(static_cast<float>(std::ldexp(1.0, exponent)),
                                                                  static_cast<float>(zero - half), static_cast<float>(zero + half - 1)));
  }
  return weightCount > 0 ? weightBits / weightCount : 0.0;
}

}  // namespace fgq

#include "quant/VbdExport.h"

#include <algorithm>
#include <cmath>

#include "quant/Fgq.h"
#include "quant/FixedQuantizer.h"
#include "quant/StoredWeights.h"
#include "quant/VbdQuantizer.h"
#include "quant/WeightTensors.h"

namespace fgq {
namespace {

Tensor scalar(int32_t value) {
  Tensor t = Tensor::empty({1}, DType::kS32);
  t.data<int32_t>()[0] = value;
  return t;
}

int32_t scalarOf(const std::map<std::string, Tensor>& m, const std::string& name, const std::string& source) {
  auto it = m.find(name);
  if (it == m.end()) throw Error(source + ": missing tensor '" + name + "'");
  if (it->second.dtype() != DType::kS32 || it->second.numel() != 1)
    throw Error(source + ": tensor '" + name + "' must be one S32 value, found " + dtypeName(it->second.dtype()) + " " + it->second.shape().str());
  return it->second.data<int32_t>()[0];
}

// Codes relative to the zero point, so that a B-bit code is a B-bit two's-complement field; scales and
// zero points per output channel, repeated from a quantizer that is still per tensor.
QuantizedWeights pow2Weights(const Tensor& weight, const VbdQuantizer& q) {
  QuantizedWeights w;
  w.format = &weightFormat(WeightFormatId::kPow2);
  w.shape = weight.shape();
  w.bits = std::max(0, static_cast<int>(q.bits.tensor().data<float>()[0]));
  FGQ_CHECK(w.bits <= kVbdMaxBits, "a learned bit depth of " << w.bits << " exceeds the export's " << kVbdMaxBits);
  const int64_t channels = weight.dim(0), perChannel = weight.numel() / channels;
  const bool perTensor = q.exponent.tensor().numel() == 1;
  w.codes.assign(weight.numel(), 0);
  w.zeroPoints.assign(channels, 0);
  for (int64_t c = 0; c < channels; ++c) {
    const int64_t p = perTensor ? 0 : c;
    const int exponent = static_cast<int>(q.exponent.tensor().data<float>()[p]);
    const double half = std::ldexp(1.0, w.bits - 1), scale = std::ldexp(1.0, exponent);
    w.scales.push_back(static_cast<float>(scale));
    if (w.bits == 0) continue;  // pruned: every weight is zero
    const int32_t zero = static_cast<int32_t>(std::lround(q.alpha(p)));
    w.zeroPoints[c] = zero;
    for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i)
      w.codes[i] = static_cast<int16_t>(std::nearbyint(std::clamp(weight.data<float>()[i] / scale, zero - half, zero + half - 1)) - zero);
  }
  return w;
}

}  // namespace

std::map<std::string, Tensor> exportVbd(Module& model) {
  std::map<std::string, Tensor> out;
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* wq = dynamic_cast<VbdQuantizer*>(layer->weightQuantizer());
    auto* iq = dynamic_cast<VbdQuantizer*>(layer->inputQuantizer());
    FGQ_CHECK(wq && iq, name << " has no VBD quantizers to export");
    for (VbdQuantizer* q : {wq, iq}) q->roundForExport();
    const QuantizedWeights w = pow2Weights(layer->weight.tensor().plain(), *wq);
    storeWeightTensors(name, w, out);
    out[name + ".weight.bits"] = scalar(w.bits);
    out[name + ".input.exponent"] = scalar(static_cast<int32_t>(iq->exponent.tensor().data<float>()[0]));
    out[name + ".input.zero_point"] = scalar(static_cast<int32_t>(std::lround(iq->alpha())));
    out[name + ".input.bits"] = scalar(static_cast<int32_t>(iq->bits.tensor().data<float>()[0]));
    if (layer->bias.defined()) out[name + ".bias"] = layer->bias.tensor().clone();
  }
  return out;
}

double loadVbdExport(Module& model, const std::map<std::string, Tensor>& exported, const std::string& source) {
  std::map<std::string, Tensor> e = exported;
  double weightBits = 0, weightCount = 0;
  for (auto& [name, layer] : weightedLayers(model)) {
    QuantizedWeights w;
    w.format = &weightFormat(WeightFormatId::kPow2);
    w.shape = layer->weight.shape();
    w.bits = scalarOf(e, name + ".weight.bits", source);
    if (w.bits < 0 || w.bits > kVbdMaxBits)
      throw Error(source + ": tensor '" + name + ".weight.bits' holds " + std::to_string(w.bits) + ", expected 0.." + std::to_string(kVbdMaxBits));
    takeWeightTensors(source, name, e, w);
    layer->weight.tensor().copyFrom(w.dequantize());
    layer->setWeightQuantizer(std::make_shared<StoredWeights>(w));
    weightBits += static_cast<double>(w.shape.numel()) * w.bits;
    weightCount += static_cast<double>(w.shape.numel());
    if (e.count(name + ".bias")) layer->setBias(e.at(name + ".bias"));
    const int bits = scalarOf(e, name + ".input.bits", source);
    const int exponent = scalarOf(e, name + ".input.exponent", source);
    const double zero = scalarOf(e, name + ".input.zero_point", source), half = std::ldexp(1.0, bits - 1);
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

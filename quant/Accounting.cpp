#include "quant/Accounting.h"

#include <set>

#include "layers/Modules.h"
#include "quant/ActivationQuantizer.h"
#include "quant/Fgq.h"
#include "quant/WeightQuantizer.h"

namespace fgq {

ModelAccount account(Module& model, const Shape& imageShape) {
  const Module::LayerInputShapes inputs = layerInputShapes(model, imageShape);
  ModelAccount total;
  int64_t weightBits = 0, weightCount = 0, activationBitsSum = 0, activationCount = 0;
  for (auto& [name, layer] : weightedLayers(model)) {
    LayerAccount a;
    a.name = name;
    a.weightShape = layer->weight.shape();
    a.weights = layer->weight.tensor().numel();
    const Shape& in = inputs.at(layer);
    Module::LayerInputShapes unused;
    a.outputShape = layer->inferShape(in, unused);
    const int64_t outputs = a.outputShape.numel();
    a.macs = outputs * layer->macsPerOutput();
    a.remainingMultiplications = a.macs;
    a.format = "fp32";
    a.weightBytes = a.weights * 4;
    if (auto* q = dynamic_cast<WeightQuantizer*>(layer->weightQuantizer())) {
      a.format = q->choice().str();
      const QuantizedWeights& w = q->quantized(layer->weight.tensor());
      a.weightBytes = w.storedBytes();
      if (q->choice().ternary) a.remainingMultiplications = outputs * WeightGroups(a.weightShape, q->choice().groups).multiplicationsPerOutput();
    }
    a.activationElements = in.numel();
    if (auto* q = dynamic_cast<ActivationQuantizer*>(layer->inputQuantizer())) a.activationBits = q->bits();
    total.macs += a.macs;
    total.eliminated += a.macs - a.remainingMultiplications;
    weightBits += a.weightBytes * 8;
    weightCount += a.weights;
    activationBitsSum += a.activationBits * a.activationElements;
    activationCount += a.activationElements;
    total.modelBytes += a.weightBytes;
    total.layers.push_back(a);
  }
  // Everything else (biases, batch norm, quantizer state) is stored as it is held.
  std::set<const void*> weightStorage;
  for (auto& [name, layer] : weightedLayers(model)) weightStorage.insert(layer->weight.tensor().raw());
  for (const auto& [name, t] : model.stateDict()) {
    const int64_t bytes = t.numel() * static_cast<int64_t>(dtypeSize(t.dtype()));
    total.fp32Bytes += t.dtype() == DType::kF32 ? bytes : 0;
    if (!weightStorage.count(t.raw())) total.modelBytes += bytes;
  }
  total.eliminatedShare = total.macs ? static_cast<double>(total.eliminated) / static_cast<double>(total.macs) : 0;
  total.bitsPerWeight = weightCount ? static_cast<double>(weightBits) / static_cast<double>(weightCount) : 32;
  total.activationBits = activationCount ? static_cast<double>(activationBitsSum) / static_cast<double>(activationCount) : 32;
  return total;
}

nlohmann::json ModelAccount::toJson() const {
  nlohmann::json layerRows = nlohmann::json::array();
  for (const LayerAccount& a : layers)
    layerRows.push_back({{"name", a.name},
                         {"format", a.format},
                         {"weight_shape", a.weightShape.dims()},
                         {"output_shape", a.outputShape.dims()},
                         {"macs", a.macs},
                         {"remaining_multiplications", a.remainingMultiplications},
                         {"weight_bytes", a.weightBytes},
                         {"activation_bits", a.activationBits}});
  return {{"macs", macs},
          {"multiplications_eliminated", eliminated},
          {"multiplications_eliminated_percent", 100.0 * eliminatedShare},
          {"bits_per_weight", bitsPerWeight},
          {"activation_bits", activationBits},
          {"model_bytes", modelBytes},
          {"fp32_bytes", fp32Bytes},
          {"layers", layerRows}};
}

}  // namespace fgq

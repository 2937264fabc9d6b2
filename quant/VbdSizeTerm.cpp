#include "quant/VbdSizeTerm.h"

#include "autograd/Functions.h"
#include "layers/Modules.h"
#include "quant/Fgq.h"

namespace fgq {

std::vector<VbdTensor> vbdTensors(const Module& model, const Shape& imageShape) {
  const Module::LayerInputShapes inputs = layerInputShapes(model, imageShape);
  std::vector<VbdTensor> out;
  for (auto& [name, layer] : weightedLayers(model)) {
    if (auto* q = dynamic_cast<VbdQuantizer*>(layer->weightQuantizer()))
      out.push_back({name + ".weight", q, layer->weight.tensor().numel(), true});
    if (auto* q = dynamic_cast<VbdQuantizer*>(layer->inputQuantizer())) {
      const Shape& in = inputs.at(layer);
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

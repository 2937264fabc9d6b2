#include "quant/QuantizedModelFile.h"

#include "core/Json.h"
#include "core/Safetensors.h"
#include "quant/Fgq.h"
#include "quant/WeightTensors.h"

namespace fgq {

void saveQuantizedModel(const std::string& path, const Module& model, const nlohmann::json& description) {
  std::map<std::string, Tensor> tensors = model.stateDict();
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* q = dynamic_cast<WeightQuantizer*>(layer->weightQuantizer());
    if (!q) continue;
    tensors.erase(name + ".weight");
    storeWeightTensors(name, q->quantized(layer->weight.tensor()), tensors);
  }
  saveSafetensors(path, tensors, {{kQuantizedModelKey, description.dump()}});
}

nlohmann::json readQuantizedDescription(const std::string& path) {
  const TensorFile file = loadSafetensors(path);
  auto it = file.metadata.find(kQuantizedModelKey);
  if (it == file.metadata.end()) throw Error(path + ": not an fgq quantized model (no " + kQuantizedModelKey + " metadata)");
  const nlohmann::json description = parseJson(it->second, path + ": " + kQuantizedModelKey + " metadata");
  if (!description.is_object()) throw Error(path + ": malformed " + kQuantizedModelKey + " metadata: not a JSON object");
  return description;
}

void loadQuantizedModel(const std::string& path, Module& model, bool shadowWeights) {
  TensorFile file = loadSafetensors(path);
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* q = dynamic_cast<WeightQuantizer*>(layer->weightQuantizer());
    if (!q) continue;
    QuantizedWeights w = q->emptyQuantized(layer->weight.shape());
    takeWeightTensors(path, name, file.tensors, w);
    file.tensors[name + ".weight"] = shadowWeights ? w.dequantize() : layer->weight.tensor().clone();
    q->setQuantized(std::move(w));
  }
  model.loadStateDict(file.tensors, path);
}

}  // namespace fgq

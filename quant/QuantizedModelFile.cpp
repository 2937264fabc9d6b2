#include "quant/QuantizedModelFile.h"

#include <cstring>

#include "core/Safetensors.h"
#include "quant/Fgq.h"

namespace fgq {
namespace {

Tensor bytesTensor(const std::vector<uint8_t>& bytes) {
  Tensor t = Tensor::empty({static_cast<int64_t>(bytes.size())}, DType::kU8);
  std::memcpy(t.raw(), bytes.data(), bytes.size());
  return t;
}

Tensor floatsTensor(const std::vector<float>& values) { return Tensor::fromVector({static_cast<int64_t>(values.size())}, values); }

std::vector<float> floatsOf(const std::string& path, const std::string& name, const Tensor& t, size_t expected) {
  if (t.dtype() != DType::kF32 || static_cast<size_t>(t.numel()) != expected)
    throw Error(path + ": tensor '" + name + "' must hold " + std::to_string(expected) + " f32 scales, found " +
                dtypeName(t.dtype()) + " " + t.shape().str());
  return t.toVector();
}

}  // namespace

void saveQuantizedModel(const std::string& path, const Module& model, const nlohmann::json& description) {
  std::map<std::string, Tensor> tensors = model.stateDict();
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* q = dynamic_cast<WeightQuantizer*>(layer->weightQuantizer());
    if (!q) continue;
    const QuantizedWeights& w = q->quantized(layer->weight.tensor());
    tensors.erase(name + ".weight");
    tensors[name + ".weight.codes"] = bytesTensor(w.format->pack(w.codes));
    tensors[name + ".weight.scales"] = floatsTensor(w.scales);
    if (!w.negativeScales.empty()) tensors[name + ".weight.negative_scales"] = floatsTensor(w.negativeScales);
  }
  saveSafetensors(path, tensors, {{kQuantizedModelKey, description.dump()}});
}

nlohmann::json readQuantizedDescription(const std::string& path) {
  const TensorFile file = loadSafetensors(path);
  auto it = file.metadata.find(kQuantizedModelKey);
  if (it == file.metadata.end()) throw Error(path + ": not an fgq quantized model (no " + kQuantizedModelKey + " metadata)");
  const nlohmann::json description = nlohmann::json::parse(it->second, nullptr, false);
  if (description.is_discarded() || !description.is_object()) throw Error(path + ": malformed " + kQuantizedModelKey + " metadata");
  return description;
}

void loadQuantizedModel(const std::string& path, Module& model) {
  TensorFile file = loadSafetensors(path);
  auto take = [&](const std::string& name) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) throw Error(path + ": missing tensor '" + name + "'");
    Tensor t = it->second;
    file.tensors.erase(it);
    return t;
  };
  for (auto& [name, layer] : weightedLayers(model)) {
    auto* q = dynamic_cast<WeightQuantizer*>(layer->weightQuantizer());
    if (!q) continue;
    QuantizedWeights w;
    w.format = q->choice().ternary ? &ternaryFormat() : &int8Format();
    w.shape = layer->weight.shape();
    w.groups = q->choice().groups;
    w.solver = q->choice().solver;
    const Tensor codes = take(name + ".weight.codes");
    if (codes.dtype() != DType::kU8) throw Error(path + ": tensor '" + name + ".weight.codes' must be U8");
    try {
      w.codes = w.format->unpack(std::vector<uint8_t>(codes.data<uint8_t>(), codes.data<uint8_t>() + codes.numel()), w.shape.numel());
    } catch (const Error& e) {
      throw Error(path + ": tensor '" + name + ".weight.codes': " + e.what());
    }
    const size_t scaleCount = w.format == &int8Format() ? static_cast<size_t>(w.shape[0]) : static_cast<size_t>(WeightGroups(w.shape, w.groups).count());
    w.scales = floatsOf(path, name + ".weight.scales", take(name + ".weight.scales"), scaleCount);
    if (w.solver == TernarySolver::kTwoScale && q->choice().ternary)
      w.negativeScales = floatsOf(path, name + ".weight.negative_scales", take(name + ".weight.negative_scales"), scaleCount);
    file.tensors[name + ".weight"] = w.dequantize();
    q->setQuantized(std::move(w));
  }
  model.loadStateDict(file.tensors, path);
}

}  // namespace fgq

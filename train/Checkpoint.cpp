#include "train/Checkpoint.h"

#include "core/Json.h"
#include "core/Safetensors.h"

namespace fgq {
namespace {
constexpr const char* kProgressKey = "fgq_progress";

std::map<std::string, Tensor> withPrefix(const std::map<std::string, Tensor>& tensors, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : tensors)
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = t;
  return out;
}
}  // namespace

void saveCheckpoint(const std::string& path, const Module& model, const Optimizer& optimizer, const nlohmann::json& progress) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, t] : model.stateDict()) tensors["model." + name] = t;
  for (const auto& [name, t] : optimizer.state()) tensors["optimizer." + name] = t;
  saveSafetensors(path, tensors, {{kProgressKey, progress.dump()}});
}

nlohmann::json loadCheckpoint(const std::string& path, Module& model, Optimizer& optimizer) {
  const TensorFile file = loadSafetensors(path);
  auto it = file.metadata.find(kProgressKey);
  if (it == file.metadata.end()) throw Error(path + ": not an fgq checkpoint (no " + kProgressKey + " metadata)");
  model.loadStateDict(withPrefix(file.tensors, "model."), path);
  optimizer.loadState(withPrefix(file.tensors, "optimizer."), path);
  return parseJson(it->second, path + ": checkpoint progress");
}

void saveModel(const std::string& path, const Module& model) { saveSafetensors(path, model.stateDict(), {{"format", "pt"}}); }

void loadModel(const std::string& path, Module& model) { model.loadStateDict(loadSafetensors(path).tensors, path); }

}  // namespace fgq

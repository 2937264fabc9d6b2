#include "train/ModelFile.h"

#include <filesystem>

#include "core/Safetensors.h"
#include "data/DataLoader.h"
#include "quant/QuantizedModelFile.h"
#include "train/Checkpoint.h"
#include "train/Measures.h"
#include "train/Trainer.h"

namespace fgq {

LoadedModel loadModelFile(const std::string& path, const std::string& configPath, const std::vector<std::string>& overrides) {
  if (!std::filesystem::exists(path)) throw Error(path + ": model file not found");
  const TensorFile file = loadSafetensors(path);
  LoadedModel loaded;
  loaded.quantized = file.metadata.count(kQuantizedModelKey) > 0;
  if (!configPath.empty()) {
    loaded.experiment = parseExperiment(ConfigNode::load(configPath, overrides));
  } else if (loaded.quantized) {
    const nlohmann::json description = readQuantizedDescription(path);
    loaded.experiment = parseExperiment(ConfigNode::fromJson(description.value("config", nlohmann::json()), path + " (embedded config)", overrides));
  } else {
    throw Error(path + ": a plain state dict does not say which model it is; pass --config");
  }
  const Experiment& e = loaded.experiment;
  loaded.model = createModel(e.model.arch, e.model.options);
  if (loaded.quantized) {
    if (!e.quantization) throw Error(path + ": a quantized model needs a config with a quantization block");
    installFgq(*loaded.model, e.quantization->fgq);
    loadQuantizedModel(path, *loaded.model);
  } else {
    loadModel(path, *loaded.model);
  }
  if (!e.model.weights.empty() && std::filesystem::absolute(e.model.weights) != std::filesystem::absolute(path)) {
    loaded.teacher = createModel(e.model.arch, e.model.options);
    loadModel(e.model.weights, *loaded.teacher);
  }
  return loaded;
}

nlohmann::json evaluateModelFile(const std::string& path, const std::string& configPath, const std::vector<std::string>& overrides) {
  LoadedModel loaded = loadModelFile(path, configPath, overrides);
  const Experiment& e = loaded.experiment;
  auto evalSet = makeDataset(e.data, false, e.data.evalTransforms);
  DataLoader loader(*evalSet, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval});
  Random random(0);
  nlohmann::json out = measureModel(*loaded.model, loaded.teacher.get(), loader, evalSet->get(0, random).image.shape());
  out["file"] = path;
  out["quantized"] = loaded.quantized;
  return out;
}

}  // namespace fgq

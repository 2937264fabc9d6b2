#include "train/ModelFile.h"

#include <filesystem>

#include "core/Safetensors.h"
#include "data/DataLoader.h"
#include "quant/QuantizedModelFile.h"
#include "quant/Vbd.h"
#include "train/Checkpoint.h"
#include "train/Measures.h"
#include "train/Trainer.h"

namespace fgq {

LoadedModel loadModelFile(const std::string& path, const std::string& configPath, const std::vector<std::string>& overrides) {
  if (!std::filesystem::exists(path)) throw Error(path + ": model file not found");
  const TensorFile file = loadSafetensors(path);
  LoadedModel loaded;
  const bool vbd = file.metadata.count(kVbdExportKey) > 0;
  loaded.quantized = vbd || file.metadata.count(kQuantizedModelKey) > 0;
  if (!configPath.empty()) {
    loaded.experiment = parseExperiment(ConfigNode::load(configPath, overrides));
  } else if (loaded.quantized) {
    const nlohmann::json description =
        vbd ? nlohmann::json::parse(file.metadata.at(kVbdExportKey), nullptr, false) : readQuantizedDescription(path);
    if (!description.is_object()) throw Error(path + ": malformed " + kVbdExportKey + " metadata");
    loaded.experiment = parseExperiment(ConfigNode::fromJson(description.value("config", nlohmann::json()), path + " (embedded config)", overrides));
  } else {
    throw Error(path + ": a plain state dict does not say which model it is; pass --config");
  }
  const Experiment& e = loaded.experiment;
  loaded.model = createModel(e.model.arch, e.model.options);
  if (vbd) {
    loaded.model->eval();
    foldBatchNorm(*loaded.model);
    loaded.vbdWeightBits = loadVbdExport(*loaded.model, file.tensors, path);
  } else if (loaded.quantized) {
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

namespace {

// Concatenates tensors of shape [n_i, ...] along the first dimension.
Tensor concatenate(const std::vector<Tensor>& parts) {
  std::vector<int64_t> dims = parts.front().shape().dims();
  dims[0] = 0;
  for (const Tensor& t : parts) dims[0] += t.dim(0);
  Tensor out = Tensor::empty(Shape(dims));
  int64_t offset = 0;
  for (const Tensor& t : parts) {
    const Tensor plain = t.plain();
    std::copy_n(plain.data<float>(), plain.numel(), out.data<float>() + offset);
    offset += plain.numel();
  }
  return out;
}

}  // namespace

nlohmann::json evaluateModelFile(const std::string& path, const std::string& configPath, const std::vector<std::string>& overrides,
                                 const std::string& outputsPath) {
  LoadedModel loaded = loadModelFile(path, configPath, overrides);
  const Experiment& e = loaded.experiment;
  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  DataLoader loader(*evalSet, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval});
  Random random(0);
  nlohmann::json out = measureModel(*loaded.model, loaded.teacher.get(), loader, evalSet->get(0, random).image.shape());
  out["file"] = path;
  out["quantized"] = loaded.quantized;
  if (loaded.vbdWeightBits >= 0) {  // the cost account knows FGQ's formats, not VBD's bit depths
    out.erase("cost");
    out["average_weight_bits"] = loaded.vbdWeightBits;
  }
  if (!outputsPath.empty()) {
    std::vector<Tensor> inputs, logits;
    loaded.model->eval();
    NoGradGuard noGrad;
    loader.startEpoch(0);
    while (auto batch = loader.next()) {
      inputs.push_back(batch->images);
      logits.push_back((*loaded.model)(Variable(batch->images)).tensor());
    }
    saveSafetensors(outputsPath, {{"inputs", concatenate(inputs)}, {"logits", concatenate(logits)}});
    out["outputs_file"] = outputsPath;
  }
  return out;
}

}  // namespace fgq

#include "train/ModelFile.h"

#include <filesystem>
#include <iostream>

#include "core/Json.h"
#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "infer/IntegerModule.h"
#include "interop/OnnxModel.h"
#include "data/DataLoader.h"
#include "layers/BatchNormFolding.h"
#include "quant/QuantizedModelFile.h"
#include "quant/VbdExport.h"
#include "train/Checkpoint.h"
#include "train/Datasets.h"
#include "train/Measures.h"
#include "train/ModelSource.h"
#include "train/TeacherRecord.h"

namespace fgq {
namespace {

// The embedded description of a compressed model file ({"config": ..., "teacher": ...}); null for a
// plain state dict.
nlohmann::json descriptionOf(const TensorFile& file, const std::string& path) {
  for (const char* key : {kVbdExportKey, kQuantizedModelKey}) {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end()) continue;
    const nlohmann::json description = parseJson(it->second, path + ": " + key + " metadata");
    if (!description.is_object()) throw Error(path + ": malformed " + key + " metadata: not a JSON object");
    return description;
  }
  return nullptr;
}

void fillModel(LoadedModel& loaded, const TensorFile& file, const std::string& path, bool vbd, bool shadowWeights) {
  const Experiment& e = loaded.experiment;
  loaded.model = buildModel(e.model);
  if (vbd) {
    loaded.model->eval();
    foldBatchNorm(*loaded.model);
    loaded.vbdWeightBits = loadVbdExport(*loaded.model, file.tensors, path);
  } else if (loaded.quantized) {
    if (!e.quantization) throw Error(path + ": a quantized model needs a config with a quantization block");
    installFgq(*loaded.model, e.quantization->fgq);
    loadQuantizedModel(path, *loaded.model, shadowWeights);
  } else {
    loadModel(path, *loaded.model);
  }
}

}  // namespace

LoadedModel loadModelFile(const std::string& path, const ModelFileOptions& options) {
  if (!std::filesystem::exists(path)) throw Error(path + ": model file not found");
  if (path.ends_with(".onnx")) {  // an FP32 model from elsewhere: the config says what it reads
    if (options.configPath.empty()) throw Error(path + ": an ONNX model does not say which data it reads; pass --config");
    if (options.engine != "fp32") throw Error(path + ": --engine " + options.engine + " runs converted FGQ models; an ONNX file is FP32 (use --engine fp32)");
    LoadedModel loaded;
    loaded.experiment = parseExperiment(ConfigNode::load(options.configPath, options.overrides));
    loaded.model = loadOnnxModel(path);
    return loaded;
  }
  const TensorFile file = loadSafetensors(path);
  const nlohmann::json description = descriptionOf(file, path);
  LoadedModel loaded;
  loaded.quantized = !description.is_null();
  if (!options.configPath.empty())
    loaded.experiment = parseExperiment(ConfigNode::load(options.configPath, options.overrides));
  else if (loaded.quantized)
    loaded.experiment = parseExperiment(ConfigNode::fromJson(description.value("config", nlohmann::json()), path + " (embedded config)", options.overrides));
  else
    throw Error(path + ": a plain state dict does not say which model it is; pass --config");
  const bool vbd = file.metadata.count(kVbdExportKey) > 0;
  if (options.engine != "fp32") {
    infer::parseTernaryEngine(options.engine);
    if (!loaded.quantized || vbd) throw Error(path + ": --engine " + options.engine + " runs converted FGQ models (quantized.safetensors); this is " + (vbd ? "a VBD export" : "an FP32 state dict") + " (use --engine fp32)");
  }
  fillModel(loaded, file, path, vbd, options.engine == "fp32");
  const Experiment& e = loaded.experiment;
  const bool namesTeacher = !e.model.weights.empty() && std::filesystem::absolute(e.model.weights) != std::filesystem::absolute(path);
  if (options.withoutTeacher && !options.teacher.empty()) throw Error(path + ": --teacher and --no-teacher exclude each other");
  if (!options.withoutTeacher && (namesTeacher || !options.teacher.empty())) {
    const nlohmann::json record = loaded.quantized ? description.value("teacher", nlohmann::json()) : nlohmann::json();
    const TeacherSearch teacher = findTeacher(record, path, e.model.weights, options.teacher);
    if (teacher.path.empty()) {
      std::cerr << path << ": its FP32 teacher is not found (tried " << teacher.tried << "); measured without it (--teacher FILE to compare)\n";
      return loaded;
    }
    loaded.teacher = trainedModel(e.model, teacher.path);
  }
  return loaded;
}

std::unique_ptr<Module> integerEngine(LoadedModel& loaded, const std::string& engine, const Shape& imageShape) {
  if (engine == "fp32") return nullptr;
  loaded.model->eval();
  return std::make_unique<infer::IntegerModule>(infer::IntegerModel(*loaded.model, imageShape, {infer::parseTernaryEngine(engine)}));
}

nlohmann::json evaluateModelFile(const std::string& path, const ModelFileOptions& options, const std::string& outputsPath) {
  LoadedModel loaded = loadModelFile(path, options);
  const Experiment& e = loaded.experiment;
  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  DataLoader loader(*evalSet, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval});
  Random random(0);
  const Shape imageShape = evalSet->get(0, random).image.shape();
  const std::unique_ptr<Module> engine = integerEngine(loaded, options.engine, imageShape);
  Module& model = engine ? *engine : *loaded.model;
  nlohmann::json out = measureModel(model, loaded.teacher.get(), loader, imageShape, loaded.model.get());
  out["engine"] = options.engine;
  out["file"] = path;
  out["quantized"] = loaded.quantized;
  if (loaded.vbdWeightBits >= 0) {  // the cost account knows FGQ's formats, not VBD's bit depths
    out.erase("cost");
    out["average_weight_bits"] = loaded.vbdWeightBits;
  }
  if (!outputsPath.empty()) {
    std::vector<Tensor> inputs, labels, logits;
    model.eval();
    NoGradGuard noGrad;
    loader.startEpoch(0);
    while (auto batch = loader.next()) {
      inputs.push_back(batch->images);
      labels.push_back(batch->labels);
      logits.push_back(model(Variable(batch->images)).tensor());
    }
    saveSafetensors(outputsPath, {{"inputs", concatenate(inputs)}, {"labels", concatenate(labels)}, {"logits", concatenate(logits)}});
    out["outputs_file"] = outputsPath;
  }
  return out;
}

}  // namespace fgq

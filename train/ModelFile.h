#pragma once
// Any model file fgq writes, loaded for evaluation: a quantized model (quantized.safetensors) or a VBD
// export (vbd.safetensors), which carry their own config, or a plain state dict (model.safetensors,
// best.safetensors), whose config must be given.
#include <memory>
#include <nlohmann/json.hpp>

#include "train/ExperimentConfig.h"

namespace fgq {

struct LoadedModel {
  Experiment experiment;
  std::unique_ptr<Module> model;
  std::unique_ptr<Module> teacher;  // the FP32 model (model.weights) when the config names one
  bool quantized = false;
  double vbdWeightBits = -1;  // a VBD export: its count-weighted average weight bit depth
};

// What to load besides the file: `configPath` may be empty for a compressed model (its embedded config
// is used); `overrides` apply to whichever config is used; `teacher` replaces the FP32 teacher the file
// records (train/TeacherRecord.h).
struct ModelFileOptions {
  std::string configPath;
  std::vector<std::string> overrides;
  std::string teacher;
  // "fp32": the model as fgq trains it (a converted one fake-quantized); "integer" / "integer-folded":
  // a converted FGQ model in the integer engine (infer/IntegerModel.h), ternary layers exact or folded.
  std::string engine = "fp32";
  // Measure the model alone even when its file records a teacher: for a model whose teacher has been
  // retrained in place, or where only the model's own measures matter.
  bool withoutTeacher = false;
};

// Throws naming the file for anything that does not fit.
LoadedModel loadModelFile(const std::string& path, const ModelFileOptions& options);

// The loaded model in the integer engine for images of `imageShape` ([C, H, W]) when `engine` names it
// ("integer", "integer-folded"); null for "fp32".
std::unique_ptr<Module> integerEngine(LoadedModel& loaded, const std::string& engine, const Shape& imageShape);

// The measures of section 3 on the config's evaluation set (what fgq-eval prints), on options.engine. With `outputsPath`,
// also writes the preprocessed images ("inputs", [N, C, H, W]) and the model's logits ("logits", [N, K]),
// in evaluation order, as safetensors: for comparing fgq with another framework on small sets.
nlohmann::json evaluateModelFile(const std::string& path, const ModelFileOptions& options, const std::string& outputsPath = "");

}  // namespace fgq

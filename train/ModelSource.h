#pragma once
// Where a config's model comes from: built by name (model.arch, layers/models/Models.h), or read from
// the ONNX file model.weights names when model.arch is "onnx" (the graph and its weights: a model trained
// anywhere, interop/OnnxModel.h).
#include <memory>

#include "train/ExperimentConfig.h"

namespace fgq {

// The architecture with its initialization (an ONNX model's own weights).
std::unique_ptr<Module> buildModel(const ModelConfig& model);
// The architecture with trained weights from `weights`: a state dict, or the ONNX file itself.
std::unique_ptr<Module> trainedModel(const ModelConfig& model, const std::string& weights);

}  // namespace fgq

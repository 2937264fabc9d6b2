#pragma once
// A converted model as a file a user keeps: safetensors holding, for each quantized layer, its packed
// codes ("<layer>.weight.codes", U8) and scales ("<layer>.weight.scales", and ".weight.negative_scales"
// for two_scale), every other parameter and buffer under its PyTorch name (activation quantizers'
// scales among them), and in the metadata the description needed to rebuild it (fgq_model: JSON with
// the experiment config and each layer's format). No FP32 copy of a quantized weight is stored.
#include <nlohmann/json.hpp>

#include "layers/Module.h"

namespace fgq {

inline constexpr const char* kQuantizedModelKey = "fgq_model";

void saveQuantizedModel(const std::string& path, const Module& model, const nlohmann::json& description);
// The description stored in a quantized model file (throws naming the file if it is not one).
nlohmann::json readQuantizedDescription(const std::string& path);
// Fills a model that has the same quantizers installed: codes and scales into the weight quantizers
// (and, with `shadowWeights`, their dequantized values into the FP32 shadow weights that fine-tuning
// trains; without, those keep whatever they held and nothing is dequantized: for the integer engine),
// the rest by name. Throws naming the file and tensor for anything missing, unexpected or misshapen.
void loadQuantizedModel(const std::string& path, Module& model, bool shadowWeights = true);

}  // namespace fgq

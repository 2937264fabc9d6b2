#pragma once
// What a quantized model costs (methods.md, section 3), per layer and in total, for one image at the
// evaluation resolution: MACs, the multiplications that remain (one per ternary group meeting an
// output's dot product; all of them for int8 and FP32 layers), bits per weight as stored (codes and
// scales), activation bits, and the model's size in bytes against FP32.
#include <nlohmann/json.hpp>

#include "layers/Module.h"

namespace fgq {

struct LayerAccount {
  std::string name, format;  // format: "fp32", "int8 per channel", "ternary N=4 exact"
  Shape weightShape, outputShape;
  int64_t macs = 0, remainingMultiplications = 0;
  int64_t weights = 0, weightBytes = 0;
  int64_t activationBits = 32, activationElements = 0;  // of the layer's input, per image
};

struct ModelAccount {
  std::vector<LayerAccount> layers;
  int64_t macs = 0, eliminated = 0;
  double eliminatedShare = 0;  // eliminated / macs
  double bitsPerWeight = 32, activationBits = 32;
  int64_t modelBytes = 0, fp32Bytes = 0;
  nlohmann::json toJson() const;
};

// For one image of `imageShape` ([C, H, W]); shapes are inferred, nothing runs.
ModelAccount account(Module& model, const Shape& imageShape);

}  // namespace fgq

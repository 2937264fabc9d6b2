#pragma once
// VBD's size term (methods.md, section 2.4): the average bit depth over every quantized value, as a
// differentiable function of the bit depths B.
#include <vector>

#include "quant/VbdQuantizer.h"

namespace fgq {

struct VbdTensor {
  std::string name;     // "layer1.0.conv1.weight" or "layer1.0.conv1.input"
  VbdQuantizer* quantizer;
  int64_t count;        // values it quantizes: weights, or input elements per image
  bool isWeight;
};
// Every VBD quantizer of a model that takes images of `imageShape` ([C, H, W]).
std::vector<VbdTensor> vbdTensors(const Module& model, const Shape& imageShape);

// Bbar = sum c_i max(B_i, 0) / sum c_i over the tensors (weights only if asked), differentiable in B.
Variable averageBits(const std::vector<VbdTensor>& tensors, bool weightsOnly);

}  // namespace fgq

#pragma once
// VBD's export (methods.md, section 2.5): every quantizer's E and alpha rounded to integers in the model
// itself, so that the training graph and the export compute the same thing, then per layer
//   the weight in the pow2 format (QuantizedWeights.h; WeightTensors.h names its tensors) and
//   "<layer>.weight.bits" (S32 [1], B), and for its input "<layer>.input.bits", ".input.exponent" and
//   ".input.zero_point" (S32 [1]); biases under their names, f32.
#include <map>

#include "layers/Module.h"

namespace fgq {

std::map<std::string, Tensor> exportVbd(Module& model);
// The metadata key of an exported file (vbd.safetensors): {"config": the resolved experiment config}.
inline constexpr const char* kVbdExportKey = "fgq_vbd";
// A model of the same architecture (batch norm folded) computing from an export: weights decoded from
// their codes, inputs through fixed integer quantizers. Returns the export's average weight bit depth
// (weighted by weight count, pruned layers counting 0), the size that VBD's training reports. Throws
// naming `source` and the tensor for anything missing or misshapen.
double loadVbdExport(Module& model, const std::map<std::string, Tensor>& exported, const std::string& source);

}  // namespace fgq

#pragma once
// Preparing a model for variable bit-depth compression (methods.md, section 2.5): batch norm folded
// into the convolutions, a VBD quantizer on every weight and every conv / inner-product input, the
// average bit depth as a differentiable size term, and the export to integer codes.
#include <map>
#include <vector>

#include "quant/VbdQuantizer.h"

namespace fgq {

// Folds every batch norm into the conv just before it (w *= gamma / sqrt(var + eps), bias takes the
// shift) and turns the batch norm into an identity. The model must be in evaluation mode afterwards.
void foldBatchNorm(Module& model);

struct VbdOptions {
  double initialBits = 8;
  double edgeBits = 12;  // the network's input activations and the last layer's weights start here
};

// Installs the quantizers, initializing E from each tensor's range on the calibration batches.
void installVbd(Module& model, const std::vector<Tensor>& batches, const VbdOptions& options);

struct VbdTensor {
  std::string name;     // "layer1.0.conv1.weight" or "layer1.0.conv1.input"
  VbdQuantizer* quantizer;
  int64_t count;        // values it quantizes: weights, or input elements per image
  bool isWeight;
};
// Every VBD quantizer, after one forward pass has recorded the input shapes.
std::vector<VbdTensor> vbdTensors(const Module& model);

// Bbar = sum c_i max(B_i, 0) / sum c_i over the tensors (weights only if asked), differentiable in B.
Variable averageBits(const std::vector<VbdTensor>& tensors, bool weightsOnly);

}  // namespace fgq

namespace fgq {

// Section 2.5's export: every quantizer's E and alpha rounded to integers (in the model itself, so the
// training graph and the export compute the same thing), then B-bit integer codes for each weight with
// its integer exponent and zero point per channel, and each activation's (B, E, zero point):
//   "<layer>.weight.codes" (s32, the weight's shape), ".weight.exponent" / ".weight.zero_point" (s32, per
//   channel), ".weight.bits" and the same three for ".input"; biases under their names, f32.
std::map<std::string, Tensor> exportVbd(Module& model);
// The metadata key of an exported file (vbd.safetensors): {"config": the resolved experiment config}.
inline constexpr const char* kVbdExportKey = "fgq_vbd";
// A model of the same architecture (batch norm folded) computing from an export: weights decoded from
// their codes, inputs through fixed integer quantizers. Returns the export's average weight bit depth
// (weighted by weight count, pruned layers counting 0), the size that VBD's training reports.
double loadVbdExport(Module& model, const std::map<std::string, Tensor>& exported, const std::string& source);

}  // namespace fgq

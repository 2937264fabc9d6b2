#pragma once
// Installing FGQ's quantizers in a model (methods.md, sections 1.4-1.5): every conv and inner product
// gets ternary weights in groups, except the kept layers (default: the first conv and the last inner
// product), which get int8 weights per output channel; and, when activations are quantized, an
// activation quantizer at its input. Calibration sets the activation scales from unlabeled images.
#include <string>
#include <vector>

#include "layers/Modules.h"
#include "quant/ActivationQuantizer.h"
#include "quant/WeightQuantizer.h"

namespace fgq {

struct FgqOptions {
  GroupSpec groups;
  TernarySolver solver = TernarySolver::kExact;
  // Layer names or glob patterns ("layer1.*"), plus "@first" (first conv) and "@last" (last inner product).
  std::vector<std::string> keepLayers{"@first", "@last"};
  int64_t activationBits = 8;  // 0 leaves activations in FP32
};

// The conv and inner-product layers of a model, in forward order, with their names.
std::vector<std::pair<std::string, WeightedLayer*>> weightedLayers(const Module& model);

// Names matched by the patterns; throws naming a pattern that matches nothing.
std::vector<std::string> matchLayers(const Module& model, const std::vector<std::string>& patterns);

// Installs the quantizers; returns the names of the layers kept at int8.
std::vector<std::string> installFgq(Module& model, const FgqOptions& options);

// Sets every activation quantizer's scale from the calibration batches (two passes: range, histogram).
// Under mpirun, `batches` are this rank's share (possibly none): what each pass observed is combined
// over the ranks, so that every rank sets the scales one process would from all the batches.
void calibrateActivations(Module& model, const std::vector<Tensor>& batches, const CalibrationOptions& options);

}  // namespace fgq

#pragma once
// Batch-norm re-estimation (methods.md, section 1.6): runs the calibration images through the model with
// every batch norm computing batch statistics, and replaces each one's running mean and variance by the
// cumulative average over those batches. Nothing else changes: no weights, no labels; other layers
// (dropout) stay in evaluation mode. The model is left in evaluation mode.
#include <vector>

#include "layers/Module.h"

namespace fgq {

void reestimateBatchNorm(Module& model, const std::vector<Tensor>& batches);

}  // namespace fgq

#pragma once
// The compression steps of a run, from its "quantization" block: calibration images, then FGQ
// conversion without retraining (methods.md, section 1): install quantizers, calibrate activation
// scales, re-estimate batch norm, calibrate again.
#include <vector>

#include "layers/Module.h"
#include "train/ExperimentConfig.h"

namespace fgq {

// Unlabeled calibration batches: `images` images (a seeded sample) from the calibration folder, or from
// the training set with the evaluation transforms and no labels read. Any count down to 1 works.
std::vector<Tensor> calibrationBatches(const Experiment& experiment);

// Returns the names of the layers kept at int8.
std::vector<std::string> convertFgq(Module& model, const QuantizationConfig& config, const std::vector<Tensor>& batches);

}  // namespace fgq

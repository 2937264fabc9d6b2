#pragma once
// The compression steps of a run, from its "quantization" block: calibration images, then FGQ
// conversion without retraining (methods.md, section 1): install quantizers, calibrate activation
// scales, set the batch-norm statistics for the quantized network, calibrate again.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/Dataset.h"

#include "layers/Module.h"
#include "train/ExperimentConfig.h"

namespace fgq {

// The calibration batches: `images` distinct images (a seeded draw) from the calibration folder, or from
// the training set with no labels read, each seen as `views` views (one: the evaluation transforms;
// more: augmented by calibration.transforms). Any count down to 1 works; with 0, no image is read and
// the inputs are synthesized from `fp32`, the model before conversion (train/DataFreeCalibration.h).
// With calibration.mix_synthetic, inputs synthesized that way are added for the batch-norm statistics
// (not for the activation ranges). With batch-norm distillation on, also the same images under
// calibration.transforms (and the synthesized inputs) for it to learn from, and other views of the
// images held out. Under mpirun, `batches` and `synthesized` are this rank's share (every rank reads
// the same images), the rest the whole.
struct CalibrationData {
  std::vector<Tensor> batches;
  std::vector<Tensor> synthesized;  // with calibration.mix_synthetic: inputs for the statistics, not the ranges
  int64_t images = 0, views = 1;  // distinct images read, views of each
  std::string mode;               // "images", "images and synthesized" or "synthesized"
  std::unique_ptr<Dataset> augmented;
  std::vector<Tensor> holdout;
};
CalibrationData calibrationData(const Experiment& experiment, Module& fp32);

// Returns the names of the layers kept at int8.
// Activation scales come from `batches`; batch-norm statistics from them and `statisticsOnly`.
std::vector<std::string> convertFgq(Module& model, const QuantizationConfig& config, const std::vector<Tensor>& batches,
                                    const std::vector<Tensor>& statisticsOnly = {});

// Few-image batch-norm distillation against `teacher` (train/BatchNormDistillation.h) when the config
// asks for it and the calibration read images; prints what it did and returns it for the summary
// (steps, held-out error before and after), or null.
nlohmann::json distillConversion(Module& model, Module& teacher, const QuantizationConfig& config, const CalibrationData& data);

}  // namespace fgq

#pragma once
// A VBD compression run (the "vbd" block): batch norm folded, VBD quantizers installed from a few
// unlabeled images, the three stages of methods.md section 2.5 trained against the FP32 teacher with
// L = mean|f(x) - g(x)| + gamma * Bbar, then the export to integer codes, whose evaluation must agree
// with the training graph. Writes config.json, metrics.jsonl, vbd.safetensors (the export), bits.md
// (learned bit depths per layer) and summary.json into the output directory.
#include <nlohmann/json.hpp>

#include "train/ExperimentConfig.h"

namespace fgq {

nlohmann::json runVbd(const Experiment& experiment);

}  // namespace fgq

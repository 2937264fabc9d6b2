#pragma once
// Runs an experiment: builds data, model and optimizer from the config, converts the model when the
// config compresses it, trains or fine-tunes it (train/TrainingLoop.h), measures it, and writes into
// the output directory:
//   config.json          the resolved config (every default filled in)
//   metrics.jsonl        one line per epoch: losses, accuracies, learning rate, throughput
//   checkpoint.safetensors  the latest state, every checkpoint_every_steps steps and each epoch
//   best.safetensors, model.safetensors  best and final weights (a plain PyTorch-named state dict), or
//   quantized.safetensors  a compressed model (quant/QuantizedModelFile.h)
//   summary.json         final and best Top-1, wall time, phase times, cost
// Ctrl-C finishes the current step, writes a checkpoint and stops; --resume continues from it (or from
// the last periodic checkpoint after a kill) and reaches the parameters an uninterrupted run would.
#include <nlohmann/json.hpp>

#include "train/ExperimentConfig.h"
#include "train/TrainingLoop.h"

namespace fgq {

// Returns summary.json's content. Throws fgq::Error for bad input; returns with "interrupted": true
// when stopped early.
nlohmann::json runExperiment(const Experiment& experiment, const RunOptions& options);

}  // namespace fgq

#pragma once
// Runs an experiment: builds data, model and optimizer from the config, trains with a progress line,
// evaluates each epoch, and writes into the output directory:
//   config.json          the resolved config (every default filled in)
//   metrics.jsonl        one line per epoch: losses, accuracies, learning rate, throughput
//   checkpoint.safetensors  the latest state, every train.checkpoint_every_steps steps and each epoch
//   best.safetensors, model.safetensors  best and final weights (a plain PyTorch-named state dict)
//   summary.json         final and best Top-1, wall time
// Ctrl-C finishes the current step, writes a checkpoint and stops; --resume continues from it (or from
// the last periodic checkpoint after a kill) and reaches the parameters an uninterrupted run would.
#include <memory>
#include <nlohmann/json.hpp>

#include "data/Dataset.h"
#include "train/ExperimentConfig.h"

namespace fgq {

struct RunOptions {
  bool resume = false;
  bool overwrite = false;         // start again in a directory that holds a run
  int64_t interruptAfter = -1;    // stop after this global step without a final checkpoint, as a kill would
};

// Returns summary.json's content. Throws fgq::Error for bad input; returns with "interrupted": true
// when stopped early.
nlohmann::json runExperiment(const Experiment& experiment, const RunOptions& options);

// The training or evaluation split, with the given transforms; without labels, none are read (-1).
// A labelled image folder must name as many classes as the model has outputs.
std::unique_ptr<Dataset> makeDataset(const Experiment& e, bool trainSplit, const TransformOptions& transforms,
                                     bool withLabels = true);

// An unlabeled image folder (calibration, fine-tuning or VBD images) read as the experiment's model
// expects them (its input channels), with the given transforms.
std::unique_ptr<Dataset> makeUnlabeledFolder(const Experiment& e, const std::string& folder, const TransformOptions& transforms);

// Asks the running experiment to stop after its current step (for a SIGINT handler).
void requestStop();

}  // namespace fgq

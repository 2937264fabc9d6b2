#pragma once
// The data sets an experiment reads, built from its config: the training or evaluation split, and
// unlabeled image folders (calibration, fine-tuning or VBD images), plus seeded samples of a few images.
#include <memory>
#include <vector>

#include "data/Dataset.h"
#include "train/ExperimentConfig.h"

namespace fgq {

// The training or evaluation split, with the given transforms; without labels, none are read (-1).
// A labelled image folder must name as many classes as the model has outputs.
std::unique_ptr<Dataset> makeDataset(const Experiment& e, bool trainSplit, const TransformOptions& transforms,
                                     bool withLabels = true);

// An unlabeled image folder read as the experiment's model expects them (its input channels), with
// the given transforms.
std::unique_ptr<Dataset> makeUnlabeledFolder(const Experiment& e, const std::string& folder, const TransformOptions& transforms);

// `count` distinct images of `dataset` drawn by `seed`: the first `count` of a shuffling loader's first
// epoch; all of them, in order, when it has no more.
std::vector<int64_t> drawImages(const Dataset& dataset, int64_t count, uint64_t seed);

// Inputs synthesized from `fp32` (train/DataFreeCalibration.h) at the experiment's input shape, with
// `options`; prints what the synthesis reached.
Tensor synthesizeInputs(const Experiment& e, Module& fp32, const SynthesisOptions& options);

// Every batch of a loader's epoch 0, in order (the last one may be short).
std::vector<Tensor> allBatches(Dataset& dataset, int64_t batchSize, uint64_t seed);

}  // namespace fgq

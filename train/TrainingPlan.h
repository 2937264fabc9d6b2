#pragma once
// What the training phase of a run does: plain training (the train block) or distillation fine-tuning
// of a compressed model (the finetune block); nothing for a pure conversion.
#include <memory>

#include "data/DataLoader.h"
#include "train/ExperimentConfig.h"
#include "train/Optimizer.h"

namespace fgq {

struct TrainingPlan {
  int64_t totalSteps = 0, batchSize = 1, checkpointEverySteps = 1;
  uint64_t seed = 0;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double labelSmoothing = 0;
  bool distill = false;            // L1 to the teacher's logits ...
  double crossEntropyWeight = 1;   // ... plus this times cross-entropy (labels read only when > 0)
  bool evalEachEpoch = true;
  DistributedConfig distributed;   // under mpirun: the batch is global, each rank's loader a shard of it
  std::unique_ptr<Dataset> data;    // null: no training phase
  std::unique_ptr<DataLoader> loader;
  int64_t stepsPerEpoch() const { return loader ? loader->stepsPerEpoch() : 0; }
  int64_t epochs() const;  // the last one may be partial
};

TrainingPlan planTraining(const Experiment& e);

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& config, std::vector<Variable> parameters);

}  // namespace fgq

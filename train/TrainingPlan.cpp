#include "train/TrainingPlan.h"

#include <cmath>

#include "core/Communicator.h"
#include "data/RepeatedDataset.h"
#include "train/Adam.h"
#include "train/Datasets.h"
#include "train/Sgd.h"

namespace fgq {
namespace {

void planFinetuning(const Experiment& e, TrainingPlan& plan) {
  const FinetuneConfig& f = *e.finetune;
  std::unique_ptr<Dataset> base = f.folder.empty() ? makeDataset(e, true, f.transforms, f.crossEntropyWeight > 0)
                                                   : makeUnlabeledFolder(e, f.folder, f.transforms);
  std::vector<int64_t> images = drawImages(*base, f.images > 0 ? f.images : base->size(), f.seed);
  const int64_t distinct = static_cast<int64_t>(images.size());
  plan.data = std::make_unique<RepeatedDataset>(std::move(base), std::move(images), std::max(distinct, f.batchSize));
  plan.totalSteps = f.steps > 0 ? f.steps
                                : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(f.epochs * static_cast<double>(distinct) /
                                                                                      static_cast<double>(f.batchSize))));
  plan.batchSize = f.batchSize;
  plan.checkpointEverySteps = f.checkpointEverySteps;
  plan.seed = f.seed;
  plan.optimizer = f.optimizer;
  plan.schedule = f.schedule;
  plan.distill = true;
  plan.crossEntropyWeight = f.crossEntropyWeight;
  plan.evalEachEpoch = false;
}

void planPlainTraining(const Experiment& e, TrainingPlan& plan) {
  plan.data = makeDataset(e, true, e.data.trainTransforms);
  plan.batchSize = e.train.batchSize;
  plan.checkpointEverySteps = e.train.checkpointEverySteps;
  plan.seed = e.train.seed;
  plan.optimizer = e.optimizer;
  plan.schedule = e.schedule;
  plan.labelSmoothing = e.train.labelSmoothing;
}

}  // namespace

int64_t TrainingPlan::epochs() const {
  const int64_t perEpoch = stepsPerEpoch();
  return perEpoch ? (totalSteps + perEpoch - 1) / perEpoch : 0;
}

TrainingPlan planTraining(const Experiment& e) {
  TrainingPlan plan;
  if (e.finetune)
    planFinetuning(e, plan);
  else if (e.train.epochs > 0)
    planPlainTraining(e, plan);
  plan.distributed = e.distributed;
  if (plan.data) {
    const std::string batch = e.name + ": the batch of " + std::to_string(plan.batchSize) + " (" + (e.finetune ? "finetune" : "train") +
                              ".batch_size, the global batch)";
    const LoaderOptions options{plan.batchSize, true, true, plan.seed, 2, e.finetune ? -1 : e.data.limitTrain};
    plan.loader = std::make_unique<DataLoader>(*plan.data, evenRankSlice(Communicator::world(), options, batch));
    if (!e.finetune) plan.totalSteps = e.train.epochs * plan.loader->stepsPerEpoch();
  }
  return plan;
}

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& o, std::vector<Variable> parameters) {
  if (o.type == "sgd") return std::make_unique<Sgd>(std::move(parameters), SgdOptions{o.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov});
  return std::make_unique<Adam>(std::move(parameters),
                                AdamOptions{o.lr, o.betas[0], o.betas[1], o.eps, o.weightDecay, o.type == "adamw"});
}

}  // namespace fgq

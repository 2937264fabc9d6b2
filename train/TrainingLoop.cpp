#include "train/TrainingLoop.h"

#include <atomic>
#include <iostream>
#include <optional>

#include "autograd/Functions.h"
#include "core/KillPoint.h"
#include "layers/ops/Ops.h"
#include "train/Checkpoint.h"
#include "train/Distillation.h"
#include "train/Evaluate.h"
#include "train/Progress.h"
#include "train/ReplicaState.h"
#include "train/RunDirectory.h"

namespace fgq {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> gStopRequested{false};

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

uint64_t stepSeed(uint64_t seed, int64_t step) { return seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(step) + 1; }

}  // namespace

void requestStop() { gStopRequested = true; }

TrainingLoop::TrainingLoop(const std::string& dir, TrainingPlan& plan, Module& model, Module* teacher, DataLoader& evalLoader,
                           const RunOptions& options, nlohmann::json progress, Clock::time_point sessionStart)
    : dir_(dir), plan_(plan), model_(model), teacher_(teacher), evalLoader_(evalLoader), options_(options), world_(Communicator::world()),
      optimizer_(makeOptimizer(plan.optimizer, model.parameters())),
      schedule_(makeSchedule(plan.schedule, plan.optimizer.lr, plan.stepsPerEpoch(), plan.totalSteps)),
      progress_(std::move(progress)), sessionStart_(sessionStart) {
  FGQ_CHECK(teacher_ || !plan_.distill, "distillation needs a teacher");
  gStopRequested = false;
  if (options.resume) {
    progress_ = loadCheckpoint(dir_ + "/checkpoint.safetensors", model_, *optimizer_);
    if (world_.isMain()) truncateMetrics(dir_ + "/metrics.jsonl", progress_["epoch"].get<int64_t>());
    std::cerr << "resuming " << dir_ << " at epoch " << progress_["epoch"].get<int64_t>() + 1 << ", step "
              << progress_["step"].get<int64_t>() << "\n";
  }
  if (world_.distributed()) {
    broadcastState(world_, model_);
    averager_ = std::make_unique<GradientAverager>(model_.namedParameters(), world_, plan_.distributed.bucketBytes);
    // The checkpoint's sums are over every rank: rank 0 carries them on, the others start from zero.
    if (!world_.isMain())
      for (const char* key : {"loss_sum", "correct", "seen"}) progress_[key] = 0;
  }
  elapsedBefore_ = progress_["elapsed_seconds"];
}

double TrainingLoop::elapsedSeconds() const { return elapsedBefore_ + secondsSince(sessionStart_); }

bool TrainingLoop::run() {
  for (int64_t epoch = progress_["epoch"]; epoch < plan_.epochs(); ++epoch) {
    if (!runEpoch(epoch)) return false;
  }
  return true;
}

bool TrainingLoop::runEpoch(int64_t epoch) {
  Tally tally{progress_["step"], progress_["correct"], progress_["seen"], progress_["loss_sum"]};
  const int64_t perEpoch = plan_.stepsPerEpoch(), epochSteps = std::min(perEpoch, plan_.totalSteps - epoch * perEpoch);
  model_.train();
  plan_.loader->startEpoch(epoch, tally.step);
  Progress bar(epoch, plan_.epochs(), epochSteps, plan_.batchSize, plan_.distill ? "agreement" : "acc");
  const auto epochStart = Clock::now();
  bool stopped = false;
  while (tally.step < epochSteps && !stopped) {
    const int64_t globalStep = epoch * perEpoch + tally.step;
    trainStep(globalStep, tally);
    const double seen = static_cast<double>(tally.seen);
    bar.update(tally.step, tally.lossSum / seen, 100.0 * static_cast<double>(tally.correct) / seen);
    ++tally.step;
    if (options_.interruptAfter >= 0 && globalStep + 1 >= options_.interruptAfter) {
      stopped = true;  // as a kill: no checkpoint beyond the periodic ones
    } else if (world_.distributed() ? anyRank(world_, gStopRequested) : gStopRequested.load()) {
      saveProgress(epoch, tally);
      stopped = true;
    } else if ((globalStep + 1) % plan_.checkpointEverySteps == 0 && tally.step < epochSteps) {
      saveProgress(epoch, tally);
    }
  }
  bar.finish();
  progress_["train_seconds"] = trainSeconds() + secondsSince(epochStart);
  if (!stopped) finishEpoch(epoch, tally);
  return !stopped;
}

void TrainingLoop::trainStep(int64_t globalStep, Tally& tally) {
  const auto stepStart = Clock::now();
  auto batch = plan_.loader->next();
  optimizer_->setLearningRate(schedule_.at(globalStep));
  model_.reseed(stepSeed(plan_.seed, globalStep));
  optimizer_->zeroGrad();
  std::optional<SynchronizedBatchNorm> synchronized;
  if (world_.distributed() && plan_.distributed.syncBatchNorm) synchronized.emplace(world_);
  Variable loss;
  if (plan_.distill) {
    const DistillationForward d = distillationForward(model_, *teacher_, batch->images);
    loss = d.l1;
    if (plan_.crossEntropyWeight > 0) loss = add(loss, scale(crossEntropy(d.logits, batch->labels), plan_.crossEntropyWeight));
    tally.correct += countAgreements(d.logits.tensor(), d.teacherLogits);
  } else {
    const Variable logits = model_(Variable(batch->images));
    loss = crossEntropy(logits, batch->labels, plan_.labelSmoothing);
    tally.correct += countCorrect(logits.tensor(), batch->labels).top1;
  }
  if (averager_) {
    loss.backward([this] { averager_->poll(); });
    averager_->finish();
  } else {
    loss.backward();
  }
  killPoint("step");
  optimizer_->step();
  const int64_t n = batch->images.dim(0);
  if (sessionSteps_++ > 0) {  // the first step creates primitives and touches fresh memory
    steadySeconds_ += secondsSince(stepStart);
    steadyImages_ += n;
  }
  tally.lossSum += loss.tensor().itemAsDouble() * static_cast<double>(n);
  tally.seen += n;
}

TrainingLoop::Tally TrainingLoop::overRanks(const Tally& local) const {
  std::vector<double> sums{local.lossSum, static_cast<double>(local.correct), static_cast<double>(local.seen)};
  world_.allreduceSum(sums);
  return {local.step, static_cast<int64_t>(sums[1]), static_cast<int64_t>(sums[2]), sums[0]};
}

void TrainingLoop::finishEpoch(int64_t epoch, const Tally& local) {
  const Tally tally = overRanks(local);
  const double seen = static_cast<double>(tally.seen);
  nlohmann::json metrics = {{"epoch", epoch + 1},
                            {"train_loss", tally.lossSum / seen},
                            {plan_.distill ? "train_teacher_agreement" : "train_top1", 100.0 * static_cast<double>(tally.correct) / seen},
                            {"lr", optimizer_->learningRate()},
                            {"elapsed_seconds", elapsedSeconds()}};
  if (plan_.evalEachEpoch) {
    const EvalResult r = evaluate(model_, evalLoader_);
    metrics.update({{"eval_loss", r.loss}, {"eval_top1", r.top1}, {"eval_top5", r.top5}});
    std::cerr << "epoch " << epoch + 1 << "/" << plan_.epochs() << ": train loss " << metrics["train_loss"].get<double>()
              << ", eval top-1 " << r.top1 << "%, top-5 " << r.top5 << "%, " << formatDuration(elapsedSeconds()) << " elapsed\n";
    if (r.top1 > progress_["best_top1"].get<double>()) {
      progress_["best_top1"] = r.top1;
      progress_["best_epoch"] = epoch + 1;
      if (world_.isMain()) saveModel(dir_ + "/best.safetensors", model_);
    }
  }
  if (world_.isMain()) appendJsonLine(dir_ + "/metrics.jsonl", metrics);
  saveProgress(epoch + 1, Tally{});
}

void TrainingLoop::saveProgress(int64_t epoch, const Tally& local) {
  const Tally tally = overRanks(local);
  progress_["epoch"] = epoch;
  progress_["step"] = tally.step;
  progress_["loss_sum"] = tally.lossSum;
  progress_["correct"] = tally.correct;
  progress_["seen"] = tally.seen;
  progress_["elapsed_seconds"] = elapsedSeconds();
  if (world_.isMain()) saveCheckpoint(dir_ + "/checkpoint.safetensors", model_, *optimizer_, progress_);
}

}  // namespace fgq

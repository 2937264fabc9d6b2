#pragma once
// The training phase of a run: epochs of steps (plain training against labels, or distillation of a
// compressed model against its FP32 teacher), a progress line, evaluation each epoch when planned, and
// checkpoints (every plan.checkpointEverySteps steps and each epoch) from which --resume reaches the
// parameters an uninterrupted run would. Its progress (epoch, step, running sums, best Top-1, times)
// is the JSON a checkpoint carries. Under mpirun every rank runs the loop on its shard of each global
// batch, with gradients averaged and batch norm synchronized across the ranks; the progress holds the
// sums over the ranks, and rank 0 alone writes checkpoints, metrics and models.
#include <chrono>
#include <nlohmann/json.hpp>

#include "train/GradientAverager.h"
#include "train/LrSchedule.h"
#include "train/TrainingPlan.h"

namespace fgq {

struct RunOptions {
  bool resume = false;
  bool overwrite = false;         // start again in a directory that holds a run
  int64_t interruptAfter = -1;    // stop after this global step without a final checkpoint, as a kill would
};

// Asks the running training loop to stop after its current step (for a SIGINT handler).
void requestStop();

class TrainingLoop {
 public:
  // `teacher` is needed when the plan distills. `progress` starts the run (conversion time and
  // calibration image count are kept in it); with options.resume the checkpoint's replaces it. Elapsed
  // time counts from `sessionStart`, when the run's session began.
  TrainingLoop(const std::string& dir, TrainingPlan& plan, Module& model, Module* teacher, DataLoader& evalLoader,
               const RunOptions& options, nlohmann::json progress, std::chrono::steady_clock::time_point sessionStart);
  // Runs the remaining epochs; false when stopped early (a stop request writes a checkpoint first).
  bool run();

  const nlohmann::json& progress() const { return progress_; }
  double elapsedSeconds() const;  // over every session of the run
  double trainSeconds() const { return progress_["train_seconds"]; }
  // Over every rank (each steps at the pace of the slowest).
  double steadyImagesPerSecond() const {
    return steadySeconds_ > 0 ? static_cast<double>(steadyImages_ * world_.size()) / steadySeconds_ : 0.0;
  }
  const GradientAverager* gradientAverager() const { return averager_.get(); }

 private:
  struct Tally {
    int64_t step = 0, correct = 0, seen = 0;
    double lossSum = 0;
  };
  bool runEpoch(int64_t epoch);
  void trainStep(int64_t globalStep, Tally& tally);
  void finishEpoch(int64_t epoch, const Tally& tally);
  void saveProgress(int64_t epoch, const Tally& tally);
  Tally overRanks(const Tally& local) const;  // the sums over every rank's shard

  std::string dir_;
  TrainingPlan& plan_;
  Module& model_;
  Module* teacher_;
  DataLoader& evalLoader_;
  RunOptions options_;
  const Communicator& world_;
  std::unique_ptr<GradientAverager> averager_;  // under mpirun
  std::unique_ptr<Optimizer> optimizer_;
  LrSchedule schedule_;
  nlohmann::json progress_;
  std::chrono::steady_clock::time_point sessionStart_;
  double elapsedBefore_ = 0;
  int64_t sessionSteps_ = 0, steadyImages_ = 0;
  double steadySeconds_ = 0;
};

}  // namespace fgq

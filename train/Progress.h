#pragma once
// The progress line of a training epoch: epoch, step, loss, images/s and ETA. On a terminal it
// redraws one line in place (at most five times a second); in a log it prints a line every tenth of
// the epoch. Under mpirun, rank 0 alone shows it.
#include <chrono>
#include <string>

namespace fgq {

class Progress {
 public:
  // `metric` names the second number each update shows: "acc" (percent), "agreement" (percent), "bits".
  Progress(int64_t epoch, int64_t epochs, int64_t steps, int64_t batchSize, std::string metric = "acc");
  // After step `step` (0-based) of the epoch, with the running mean loss and the metric.
  void update(int64_t step, double loss, double metric);
  void finish();  // ends the line

 private:
  std::string line(int64_t step, double loss, double metric) const;

  int64_t epoch_, epochs_, steps_, batchSize_, firstStep_ = -1;
  std::string metric_;
  bool terminal_;
  bool shown_;  // on rank 0 only, under mpirun
  std::chrono::steady_clock::time_point start_, lastDraw_;
  int64_t lastTenth_ = -1;
};

std::string formatDuration(double seconds);  // "1h02m", "3m05s", "12s"

}  // namespace fgq

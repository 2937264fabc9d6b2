#pragma once
// Learning rate as a function of the global step: a linear warm-up from lr/warmupSteps to lr, then
//   constant; step (times gamma every stepSize steps); multistep (times gamma at each milestone);
//   cosine (from lr down to minLr at totalSteps).
// The config speaks in epochs; the trainer converts them to steps.
#include <cstdint>
#include <string>
#include <vector>

namespace fgq {

struct LrSchedule {
  std::string type = "constant";  // constant | step | multistep | cosine
  double baseLr = 0.1;
  int64_t warmupSteps = 0;
  int64_t stepSize = 0;              // step
  std::vector<int64_t> milestones;  // multistep, ascending
  double gamma = 0.1;                // step, multistep
  double minLr = 0.0;                // cosine
  int64_t totalSteps = 0;            // cosine

  double at(int64_t step) const;
  void validate() const;  // throws for an unknown type or inconsistent numbers
};

}  // namespace fgq

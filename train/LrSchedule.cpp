#include "train/LrSchedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/Error.h"

namespace fgq {

void LrSchedule::validate() const {
  FGQ_CHECK(type == "constant" || type == "step" || type == "multistep" || type == "cosine",
            "unknown schedule type '" << type << "' (expected constant, step, multistep or cosine)");
  FGQ_CHECK(baseLr >= 0 && warmupSteps >= 0 && gamma > 0 && minLr >= 0, "schedule numbers must be non-negative");
  FGQ_CHECK(type != "step" || stepSize > 0, "step schedule needs step_size > 0");
  FGQ_CHECK(std::is_sorted(milestones.begin(), milestones.end()), "multistep milestones must be ascending");
}

double LrSchedule::at(int64_t step) const {
  if (step < warmupSteps) return baseLr * static_cast<double>(step + 1) / static_cast<double>(warmupSteps);
  if (type == "step") return baseLr * std::pow(gamma, static_cast<double>(step / stepSize));
  if (type == "multistep") {
    const auto passed = std::upper_bound(milestones.begin(), milestones.end(), step) - milestones.begin();
    return baseLr * std::pow(gamma, static_cast<double>(passed));
  }
  if (type == "cosine") {
    const double span = static_cast<double>(std::max<int64_t>(1, totalSteps - warmupSteps));
    const double t = std::min(1.0, static_cast<double>(step - warmupSteps) / span);
    return minLr + (baseLr - minLr) * 0.5 * (1.0 + std::cos(std::numbers::pi * t));
  }
  return baseLr;
}

}  // namespace fgq

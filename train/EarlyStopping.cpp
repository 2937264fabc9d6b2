#include "train/EarlyStopping.h"

namespace fgq {

bool EarlyStopping::stop(double heldOutError, const Module& model) {
  if (heldOutError < best_) {
    best_ = heldOutError;
    bestState_.clear();
    for (const auto& [name, t] : model.stateDict()) bestState_[name] = t.clone();
    sinceBest_ = 0;
    return false;
  }
  return ++sinceBest_ >= patience_;
}

void EarlyStopping::restoreBest(Module& model) const {
  if (!bestState_.empty()) model.loadStateDict(bestState_, "best held-out state");
}

}  // namespace fgq

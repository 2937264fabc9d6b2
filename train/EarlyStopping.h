#pragma once
// Early stopping on a held-out error, shared by the distillations that learn from a few images (VBD's
// last stage, FGQ's few-image batch-norm distillation): remembers the model's state at its best
// held-out error and says when `patience` checks in a row have not improved on it.
#include <cmath>
#include <map>
#include <string>

#include "layers/Module.h"

namespace fgq {

class EarlyStopping {
 public:
  explicit EarlyStopping(int64_t patience) : patience_(patience) {}
  // Records a held-out error of `model` as it stands; true when training should stop.
  bool stop(double heldOutError, const Module& model);
  // Puts the best state back into `model`; nothing when no check was recorded.
  void restoreBest(Module& model) const;
  double best() const { return best_; }

 private:
  int64_t patience_, sinceBest_ = 0;
  double best_ = INFINITY;
  std::map<std::string, Tensor> bestState_;
};

}  // namespace fgq

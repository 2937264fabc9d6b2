#pragma once
// The last step of a few-image FGQ conversion (docs/calibration.md): with weights, activation scales and
// batch-norm statistics fixed, Adam trains only the batch norms' affine parameters (gamma, beta) of the
// quantized network so that its logits match the FP32 teacher's, L = mean|f(x) - g(x)|, on augmented
// views of the calibration images. Held-out views (other augmentations of the same images) are checked
// before the first step and every `evalEverySteps`; the state with the lowest held-out error is kept,
// so the result is never worse on them than the conversion it started from. Without held-out batches
// every step is taken and the last state kept.
#include <vector>

#include "data/Dataset.h"
#include "layers/Module.h"

namespace fgq {

struct BnDistillationOptions {
  int64_t steps = 0;  // 0: off
  double lr = 1e-3;
  int64_t batchSize = 64;
  int64_t evalEverySteps = 25, patience = 4;
  int64_t holdoutViews = 128;
  uint64_t seed = 0;  // the order and augmentation of the views
};

struct BnDistillationResult {
  int64_t steps = 0;                    // steps taken (early stopping may end before the budget)
  double startError = 0, bestError = 0;  // held-out L1 before the first step and at the kept state
};

// `views` yields augmented views of the calibration images (any count, even one image); `holdout` are
// batches of other views of them. The model is left in evaluation mode.
BnDistillationResult distillBatchNorm(Module& student, Module& teacher, const Dataset& views, const std::vector<Tensor>& holdout,
                                      const BnDistillationOptions& options);

}  // namespace fgq

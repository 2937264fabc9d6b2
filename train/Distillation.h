#pragma once
// The step both distillations share (FGQ fine-tuning, methods.md 1.7; VBD, 2.5): the FP32 teacher's
// logits without gradients, then the student's, and the mean |difference| the student learns from.
#include <vector>

#include "layers/Module.h"

namespace fgq {

struct DistillationForward {
  Variable logits;       // the student's, with their graph
  Tensor teacherLogits;  // plain
  Variable l1;           // mean |logits - teacherLogits|, a scalar
};

// The teacher runs first: its freed activations are cached blocks that the student's forward reuses.
DistillationForward distillationForward(Module& student, Module& teacher, const Tensor& images);

// The mean of that L1 over held-out batches, without gradients (early stopping); 0 for no batches.
double heldOutL1(Module& student, Module& teacher, const std::vector<Tensor>& batches);

}  // namespace fgq

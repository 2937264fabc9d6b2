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

// Held-out batches with the teacher's logits on them. Early stopping asks for the student's error on the
// same batches many times, and the teacher's answer never changes: it is computed once, here.
struct HeldOut {
  std::vector<Tensor> images;
  std::vector<Tensor> teacherLogits;
  bool empty() const { return images.empty(); }
};
HeldOut heldOut(Module& teacher, std::vector<Tensor> batches);

// The mean L1 to the teacher over the held-out batches, without gradients; 0 for no batches.
double heldOutL1(Module& student, const HeldOut& held);

}  // namespace fgq

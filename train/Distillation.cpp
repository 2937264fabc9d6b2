#include "train/Distillation.h"

#include "layers/ops/Ops.h"

namespace fgq {

DistillationForward distillationForward(Module& student, Module& teacher, const Tensor& images) {
  DistillationForward out;
  {
    NoGradGuard noGrad;
    out.teacherLogits = teacher(Variable(images)).tensor().plain();
  }
  out.logits = student(Variable(images));
  out.l1 = l1Loss(out.logits, out.teacherLogits);
  return out;
}

double heldOutL1(Module& student, Module& teacher, const std::vector<Tensor>& batches) {
  NoGradGuard noGrad;
  double sum = 0;
  for (const Tensor& batch : batches) sum += distillationForward(student, teacher, batch).l1.tensor().itemAsDouble();
  return batches.empty() ? 0 : sum / static_cast<double>(batches.size());
}

}  // namespace fgq

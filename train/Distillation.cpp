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

HeldOut heldOut(Module& teacher, std::vector<Tensor> batches) {
  NoGradGuard noGrad;
  HeldOut held{std::move(batches), {}};
  for (const Tensor& batch : held.images) held.teacherLogits.push_back(teacher(Variable(batch)).tensor().plain());
  return held;
}

double heldOutL1(Module& student, const HeldOut& held) {
  NoGradGuard noGrad;
  double sum = 0;
  for (size_t i = 0; i < held.images.size(); ++i)
    sum += l1Loss(student(Variable(held.images[i])), held.teacherLogits[i]).tensor().itemAsDouble();
  return held.empty() ? 0 : sum / static_cast<double>(held.images.size());
}

}  // namespace fgq

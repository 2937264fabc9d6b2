#include "infer/Workspace.h"

#include "infer/TernaryConv.h"

namespace fgq::infer {

int BufferPlan::add(int64_t bytesPerImage) {
  sizes_.push_back(bytesPerImage);
  return count() - 1;
}

Workspace::Workspace(const BufferPlan& plan, int64_t batch) : batch_(batch) {
  for (int id = 0; id < plan.count(); ++id) buffers_.emplace_back(static_cast<size_t>(plan.bytesPerImage(id) * batch + kInputSlack), uint8_t{0});
}

}  // namespace fgq::infer

#include "infer/Workspace.h"

#include <cstring>

#include "core/Error.h"
#include "infer/TernaryConv.h"

namespace fgq::infer {

int BufferPlan::add(int64_t bytesPerImage) {
  sizes_.push_back(bytesPerImage);
  return count() - 1;
}

Workspace::Workspace(const BufferPlan& plan, int64_t batch) : batch_(batch) {
  constexpr size_t kLine = 64;
  auto memory = std::make_shared<Memory>();
  for (int id = 0; id < plan.count(); ++id) {
    const size_t bytes = (static_cast<size_t>(plan.bytesPerImage(id) * batch + kInputSlack) + kLine - 1) / kLine * kLine;
    auto* p = static_cast<uint8_t*>(std::aligned_alloc(kLine, bytes));
    FGQ_CHECK(p != nullptr, "integer engine: cannot allocate a buffer of " + std::to_string(bytes) + " bytes");
    std::memset(p, 0, bytes);
    memory->emplace_back(p);
    buffers_.push_back(p);
    bytesPerImage_.push_back(plan.bytesPerImage(id));
  }
  memory_ = std::move(memory);
}

Workspace Workspace::images(int64_t first, int64_t n) const {
  FGQ_CHECK(first >= 0 && n > 0 && first + n <= batch_, "integer engine: images " << first << " to " << first + n << " of a batch of " << batch_);
  Workspace view;
  view.batch_ = n;
  view.bytesPerImage_ = bytesPerImage_;
  view.memory_ = memory_;
  for (size_t id = 0; id < buffers_.size(); ++id) view.buffers_.push_back(buffers_[id] + first * bytesPerImage_[id]);
  return view;
}

}  // namespace fgq::infer

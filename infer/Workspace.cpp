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
  for (int id = 0; id < plan.count(); ++id) {
    const size_t bytes = (static_cast<size_t>(plan.bytesPerImage(id) * batch + kInputSlack) + kLine - 1) / kLine * kLine;
    auto* p = static_cast<uint8_t*>(std::aligned_alloc(kLine, bytes));
    FGQ_CHECK(p != nullptr, "integer engine: cannot allocate a buffer of " + std::to_string(bytes) + " bytes");
    std::memset(p, 0, bytes);
    buffers_.emplace_back(p);
  }
}

}  // namespace fgq::infer

#include "layers/onednn/OnednnLayout.h"

#include <atomic>
#include <map>
#include <mutex>

#include "layers/onednn/Context.h"
#include "layers/onednn/PrimitiveCache.h"

namespace fgq::onednn {

OnednnLayout::OnednnLayout(dnnl::memory::desc desc, Shape shape, DType dtype)
    : desc_(std::move(desc)), plain_(plainDesc(shape, dtype)) {}

bool OnednnLayout::sameAs(const Layout& other) const {
  const auto* o = dynamic_cast<const OnednnLayout*>(&other);
  return o && o->desc_ == desc_;
}

void OnednnLayout::toPlain(const void* src, void* dst) const { reorder(desc_, src, plain_, dst); }
void OnednnLayout::fromPlain(const void* src, void* dst) const { reorder(plain_, src, desc_, dst); }

std::string OnednnLayout::str() const {
  std::string dims;
  for (auto d : desc_.dims()) dims += (dims.empty() ? "" : "x") + std::to_string(d);
  return "onednn(" + dims + ", " + std::to_string(desc_.get_size()) + " bytes)";
}

std::shared_ptr<const Layout> layoutFor(const dnnl::memory::desc& desc, const Shape& shape, DType dtype) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const OnednnLayout>> interned;
  std::lock_guard lock(mutex);
  auto& layout = interned[descKey(desc)];
  if (!layout) layout = std::make_shared<OnednnLayout>(desc, shape, dtype);
  return layout;
}

namespace {
std::atomic<int64_t> gReorders{0};
}

int64_t reordersExecuted() { return gReorders.load(); }

void reorder(const dnnl::memory::desc& srcDesc, const void* src, const dnnl::memory::desc& dstDesc, void* dst) {
  struct Entry {
    dnnl::reorder primitive;
    dnnl::memory::desc scratchpad;
  };
  static PrimitiveCache<Entry> cache;
  const Entry& entry = cache.get(descKey(srcDesc) + ">" + descKey(dstDesc), [&] {
    dnnl::reorder::primitive_desc pd(engine(), srcDesc, engine(), dstDesc, defaultAttr());
    return Entry{createPrimitive<dnnl::reorder>(pd), pd.scratchpad_desc()};
  });
  gReorders++;
  execute(entry.primitive, entry.scratchpad,
          {{DNNL_ARG_FROM, dnnl::memory(srcDesc, engine(), const_cast<void*>(src))},
           {DNNL_ARG_TO, dnnl::memory(dstDesc, engine(), dst)}});
}

}  // namespace fgq::onednn

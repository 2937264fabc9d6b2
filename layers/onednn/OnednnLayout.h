#pragma once
// A tensor layout chosen by oneDNN (e.g. nChw16c). Conversions to and from plain go through cached
// reorder primitives.
#include <dnnl.hpp>
#include <memory>

#include "core/Layout.h"
#include "core/Tensor.h"

namespace fgq::onednn {

class OnednnLayout : public Layout {
 public:
  OnednnLayout(dnnl::memory::desc desc, Shape shape, DType dtype);
  size_t bytes() const override { return desc_.get_size(); }
  bool sameAs(const Layout& other) const override;
  void toPlain(const void* src, void* dst) const override;
  void fromPlain(const void* src, void* dst) const override;
  std::string str() const override;
  const dnnl::memory::desc& desc() const { return desc_; }

 private:
  dnnl::memory::desc desc_;
  dnnl::memory::desc plain_;
};

// Layout objects are interned per descriptor, so tensors produced by the same primitive share one.
std::shared_ptr<const Layout> layoutFor(const dnnl::memory::desc& desc, const Shape& shape, DType dtype);
// Reorders between two descriptors of the same logical tensor (cached primitives).
void reorder(const dnnl::memory::desc& srcDesc, const void* src, const dnnl::memory::desc& dstDesc, void* dst);
// How many reorders have run in this process (tests use it to prove a layer chain does none).
int64_t reordersExecuted();

}  // namespace fgq::onednn

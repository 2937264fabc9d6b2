#include "layers/onednn/TensorMemory.h"

#include "layers/onednn/OnednnLayout.h"

namespace fgq::onednn {

memory::desc descOf(const Tensor& t) {
  if (t.isPlain()) return plainDesc(t.shape(), t.dtype());
  const auto* layout = dynamic_cast<const OnednnLayout*>(t.layout().get());
  FGQ_CHECK(layout, "tensor layout " << t.layout()->str() << " is not a oneDNN layout");
  return layout->desc();
}

memory memoryOf(const Tensor& t) { return memory(descOf(t), engine(), t.raw()); }

Tensor emptyForDesc(const Shape& shape, const memory::desc& desc) {
  const DType dtype = tensorDtype(desc.data_type());
  if (desc == plainDesc(shape, dtype)) return Tensor::empty(shape, dtype);
  return Tensor::withLayout(shape, dtype, layoutFor(desc, shape, dtype));
}

Tensor toDesc(const Tensor& t, const memory::desc& desc) {
  const memory::desc current = descOf(t);
  if (current == desc) return t;
  Tensor out = emptyForDesc(t.shape(), desc);
  reorder(current, t.raw(), desc, out.raw());
  return out;
}

}  // namespace fgq::onednn

#include "core/Tensor.h"

#include <cstring>

#include "core/Allocator.h"

namespace fgq {

Storage::Storage(size_t bytes) : data_(Allocator::instance().allocate(bytes)), bytes_(bytes) {}
Storage::~Storage() { Allocator::instance().release(data_, bytes_); }

namespace {

template <typename F>
void visitDType(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kF32: return f(float{});
    case DType::kF64: return f(double{});
    case DType::kS8: return f(int8_t{});
    case DType::kU8: return f(uint8_t{});
    case DType::kS32: return f(int32_t{});
    case DType::kS64: return f(int64_t{});
  }
}

// Converts n elements between dtypes through double (exact for every supported integer range).
void convertElements(const void* src, DType from, void* dst, DType to, int64_t n) {
  visitDType(from, [&](auto fromTag) {
    using From = decltype(fromTag);
    visitDType(to, [&](auto toTag) {
      using To = decltype(toTag);
      const From* s = static_cast<const From*>(src);
      To* d = static_cast<To*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = static_cast<To>(s[i]);
    });
  });
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (int64_t d : shape.dims()) FGQ_CHECK(d >= 0, "negative dimension in shape " << shape.str());
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(shape.numel() * dtypeSize(dtype));
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw(), 0, t.bytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  visitDType(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) d[i] = static_cast<T>(value);
  });
  return t;
}

Tensor Tensor::fromVector(const Shape& shape, const std::vector<float>& values) {
  FGQ_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
            values.size() << " values given for shape " << shape.str());
  Tensor t = empty(shape);
  std::memcpy(t.raw(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::emptyLike(const Tensor& like) {
  return like.isPlain() ? empty(like.shape(), like.dtype()) : withLayout(like.shape(), like.dtype(), like.layout());
}

Tensor Tensor::withLayout(const Shape& shape, DType dtype, std::shared_ptr<const Layout> layout) {
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(layout->bytes());
  t.layout_ = std::move(layout);
  return t;
}

size_t Tensor::bytes() const { return layout_ ? layout_->bytes() : numel() * dtypeSize(dtype_); }

bool Tensor::sameLayout(const Tensor& other) const {
  if (!layout_ || !other.layout_) return !layout_ && !other.layout_;
  return layout_ == other.layout_ || layout_->sameAs(*other.layout_);
}

double Tensor::itemAsDouble() const {
  FGQ_CHECK(numel() == 1, "item() of a tensor with shape " << shape_.str());
  double value = 0;
  convertElements(plain().raw(), dtype_, &value, DType::kF64, 1);
  return value;
}

std::vector<float> Tensor::toVector() const {
  std::vector<float> values(numel());
  convertElements(plain().raw(), dtype_, values.data(), DType::kF32, numel());
  return values;
}

Tensor Tensor::reshape(const Shape& shape) const {
  FGQ_CHECK(shape.numel() == numel(), "cannot reshape " << shape_.str() << " to " << shape.str());
  FGQ_CHECK(isPlain(), "reshape of a tensor in layout " << layout_->str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::plain() const {
  if (isPlain()) return *this;
  Tensor t = empty(shape_, dtype_);
  layout_->toPlain(raw(), t.raw());
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = layout_ ? withLayout(shape_, dtype_, layout_) : empty(shape_, dtype_);
  std::memcpy(t.raw(), raw(), bytes());
  return t;
}

Tensor Tensor::to(DType dtype) const {
  Tensor src = plain();
  Tensor t = empty(shape_, dtype);
  convertElements(src.raw(), dtype_, t.raw(), dtype, numel());
  return t;
}

void Tensor::copyFrom(const Tensor& src) {
  FGQ_CHECK(src.shape() == shape_, "copy of shape " << src.shape().str() << " into " << shape_.str());
  if (sameLayout(src) && src.dtype() == dtype_) {
    std::memcpy(raw(), src.raw(), bytes());
    return;
  }
  Tensor converted = src.dtype() == dtype_ ? src.plain() : src.to(dtype_);
  if (layout_)
    layout_->fromPlain(converted.raw(), raw());
  else
    std::memcpy(raw(), converted.raw(), bytes());
}

}  // namespace fgq

#pragma once
// A dense tensor: logical shape, element type, and 64-byte aligned storage shared between tensors that
// view the same data (reshape does not copy). Storage is plain row-major unless a Layout says otherwise
// (a backend's blocked format); data<T>() of such a tensor throws, plain() converts.
#include <memory>
#include <vector>

#include "core/DType.h"
#include "core/Error.h"
#include "core/Layout.h"
#include "core/Shape.h"

namespace fgq {

class Storage {
 public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }

 private:
  void* data_;
  size_t bytes_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false

  static Tensor empty(const Shape& shape, DType dtype = DType::kF32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::kF32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::kF32);
  static Tensor fromVector(const Shape& shape, const std::vector<float>& values);
  // Uninitialized storage with the shape, dtype and layout of `like`.
  static Tensor emptyLike(const Tensor& like);
  // Uninitialized storage in a backend layout.
  static Tensor withLayout(const Shape& shape, DType dtype, std::shared_ptr<const Layout> layout);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int64_t i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  size_t bytes() const;  // bytes of storage this tensor uses
  bool isPlain() const { return layout_ == nullptr; }
  const std::shared_ptr<const Layout>& layout() const { return layout_; }
  bool sameLayout(const Tensor& other) const;

  void* raw() const { return storage_->data(); }
  template <typename T>
  T* data() const {
    FGQ_CHECK(dtype_ == dtypeOf<T>(), "tensor of " << dtypeName(dtype_) << " read as " << dtypeName(dtypeOf<T>()));
    FGQ_CHECK(isPlain(), "tensor in layout " << layout_->str() << " read as plain data; call plain() first");
    return static_cast<T*>(storage_->data());
  }
  template <typename T>
  T item() const {
    FGQ_CHECK(numel() == 1, "item() of a tensor with shape " << shape_.str());
    return *data<T>();
  }
  double itemAsDouble() const;
  std::vector<float> toVector() const;  // plain f32 copy of the values (any float dtype, any layout)

  Tensor reshape(const Shape& shape) const;  // shares storage; needs plain layout
  Tensor plain() const;                      // this tensor if plain, else a converted copy
  Tensor clone() const;                      // deep copy, same layout
  Tensor to(DType dtype) const;              // plain copy converted to another dtype
  void copyFrom(const Tensor& src);          // same shape; converts layout and dtype as needed
  bool sharesStorage(const Tensor& other) const { return storage_ == other.storage_; }

 private:
  Shape shape_;
  DType dtype_ = DType::kF32;
  std::shared_ptr<Storage> storage_;
  std::shared_ptr<const Layout> layout_;
};

}  // namespace fgq

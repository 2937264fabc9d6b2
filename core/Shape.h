#pragma once
// A tensor's logical extents, outermost first (NCHW for images, KCRS for conv weights).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace fgq {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  // Negative indices count from the end, as in PyTorch. Throws on out-of-range.
  int64_t operator[](int64_t i) const;
  int64_t numel() const;
  const std::vector<int64_t>& dims() const { return dims_; }
  bool operator==(const Shape& other) const = default;
  std::string str() const;  // "[2, 3, 4]"

 private:
  std::vector<int64_t> dims_;
};

}  // namespace fgq

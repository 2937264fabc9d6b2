#include "core/Shape.h"

#include "core/Error.h"

namespace fgq {

int64_t Shape::operator[](int64_t i) const {
  const int64_t index = i < 0 ? i + rank() : i;
  FGQ_CHECK(index >= 0 && index < rank(), "dimension " << i << " out of range for shape " << str());
  return dims_[index];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

std::string Shape::str() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
  return s + "]";
}

}  // namespace fgq

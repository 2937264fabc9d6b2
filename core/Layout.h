#pragma once
// How a tensor's elements sit in memory when they are not plain row-major. The compute backend
// (layers/onednn) keeps activations in its blocked formats from layer to layer; everything else asks
// for plain data and gets it through toPlain(). Core knows only this interface, not the backend.
#include <cstddef>
#include <string>

namespace fgq {

class Layout {
 public:
  virtual ~Layout() = default;
  virtual size_t bytes() const = 0;  // storage needed, padding included
  virtual bool sameAs(const Layout& other) const = 0;
  // Writes the logical row-major copy of `src` (stored in this layout) into `dst`.
  virtual void toPlain(const void* src, void* dst) const = 0;
  // Writes plain row-major `src` into `dst`, stored in this layout.
  virtual void fromPlain(const void* src, void* dst) const = 0;
  virtual std::string str() const = 0;
};

}  // namespace fgq

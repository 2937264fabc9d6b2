#pragma once
// Small helpers for building oneDNN operation descriptors from fgq shapes.
#include <dnnl.hpp>

#include "core/Shape.h"

namespace fgq::onednn {

inline dnnl::memory::dims dimsOf(const Shape& s) { return dnnl::memory::dims(s.dims().begin(), s.dims().end()); }

// A descriptor that lets the primitive choose the layout.
inline dnnl::memory::desc anyDesc(const Shape& s) {
  return dnnl::memory::desc(dimsOf(s), dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

}  // namespace fgq::onednn

#pragma once
// The oneDNN seam: one CPU engine and one stream for the process, descriptors of plain shapes, and
// running primitives. Every primitive fgq creates goes through createPrimitive(), which counts them, so
// tests can prove that a repeated training step creates none. Tensors as oneDNN memory, in any layout,
// are TensorMemory.h's.
#include <dnnl.hpp>
#include <unordered_map>

#include "core/Tensor.h"

namespace fgq::onednn {

using dnnl::memory;

dnnl::engine& engine();
dnnl::stream& stream();
// Every forward primitive is created for training, with or without a backward pass to follow: the
// inference variants may pick kernels that round differently, and a model must compute the same
// numbers whether or not gradients are on (a student identical to its teacher has zero loss).
inline constexpr auto kForwardProp = dnnl::prop_kind::forward_training;

// Attributes every fgq primitive is created with: scratchpad owned by fgq (from the caching allocator).
dnnl::primitive_attr defaultAttr();

int64_t primitivesCreated();
void countPrimitive();
template <typename Primitive, typename PrimitiveDesc>
Primitive createPrimitive(const PrimitiveDesc& pd) {
  countPrimitive();
  return Primitive(pd);
}

// A string that identifies a descriptor (data type, dims, blocking), for cache keys.
std::string descKey(const memory::desc& desc);
// fgq's dtype for a oneDNN data type and back; throws for one the other side lacks.
memory::data_type dataType(DType dtype);
DType tensorDtype(memory::data_type type);
// The plain row-major descriptor of a shape (a, ab, abc, abcd, abcde).
memory::desc plainDesc(const Shape& shape, DType dtype = DType::kF32);
// Runs a primitive on the stream with a scratchpad from the caching allocator when it needs one.
void execute(const dnnl::primitive& primitive, const memory::desc& scratchpad, std::unordered_map<int, memory> args);

}  // namespace fgq::onednn

#pragma once
// The oneDNN seam: one CPU engine and one stream for the process, tensors seen as oneDNN memory, and
// reorders between layouts. Every primitive fgq creates goes through createPrimitive(), which counts
// them, so tests can prove that a repeated training step creates none.
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
// The plain row-major descriptor of a shape (a, ab, abc, abcd, abcde).
memory::desc plainDesc(const Shape& shape, DType dtype = DType::kF32);
// The descriptor of a tensor's storage: its oneDNN layout, or plain.
memory::desc descOf(const Tensor& t);
memory memoryOf(const Tensor& t);  // wraps the tensor's storage; no copy
// A tensor with storage for `desc`, plain when `desc` is the plain layout of `shape`.
Tensor emptyLike(const Shape& shape, const memory::desc& desc);
// `t` itself when its storage already has layout `desc`, else a reordered copy (cached reorder).
Tensor toDesc(const Tensor& t, const memory::desc& desc);
// Runs a primitive on the stream with a scratchpad from the caching allocator when it needs one.
void execute(const dnnl::primitive& primitive, const memory::desc& scratchpad, std::unordered_map<int, memory> args);

}  // namespace fgq::onednn

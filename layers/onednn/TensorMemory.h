#pragma once
// Tensors seen as oneDNN memory: the descriptor of a tensor's storage, wrapping it without a copy, and
// moving it into the layout a primitive chose.
#include "layers/onednn/Context.h"

namespace fgq::onednn {

// The descriptor of a tensor's storage: its oneDNN layout, or plain.
memory::desc descOf(const Tensor& t);
memory memoryOf(const Tensor& t);  // wraps the tensor's storage; no copy
// Uninitialized storage for `desc` (which fixes the dtype), plain when `desc` is the plain layout of
// `shape`. Throws for a data type fgq has no tensors of.
Tensor emptyForDesc(const Shape& shape, const memory::desc& desc);
// `t` itself when its storage already has layout `desc`, else a reordered copy (cached reorder).
Tensor toDesc(const Tensor& t, const memory::desc& desc);

}  // namespace fgq::onednn

#pragma once
// The forward and backward passes shared by convolution and inner product: both are oneDNN ops with
// src, weights, optional bias and dst, and backward-data / backward-weights primitives built from the
// forward one. `Primitives` has forwardPd, forward, backwardDataPd, backwardData, backwardWeightsPd and
// backwardWeights members.
#include "autograd/Variable.h"
#include "layers/onednn/TensorMemory.h"

namespace fgq::detail {

// Runs the forward primitive; returns dst and the src and weights in the primitive's layouts (kept
// for backward). `weights` is already shaped as oneDNN sees it.
template <typename Primitives>
Tensor weightedForward(const Primitives& p, const Tensor& x, const Tensor& weightsIn, const Variable& b, const Shape& ys,
                       Tensor& src, Tensor& weights) {
  using dnnl::memory;
  src = onednn::toDesc(x, p.forwardPd.src_desc());
  weights = onednn::toDesc(weightsIn, p.forwardPd.weights_desc());
  Tensor dst = onednn::emptyForDesc(ys, p.forwardPd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::memoryOf(src)},
                                       {DNNL_ARG_WEIGHTS, onednn::memoryOf(weights)},
                                       {DNNL_ARG_DST, onednn::memoryOf(dst)}};
  const Tensor bias = b.defined() ? onednn::toDesc(b.tensor(), p.forwardPd.bias_desc()) : Tensor();
  if (b.defined()) args[DNNL_ARG_BIAS] = onednn::memoryOf(bias);
  onednn::execute(p.forward, p.forwardPd.scratchpad_desc(), args);
  return dst;
}

// in = {x, w, b}; adds the gradients of those that require one.
template <typename Primitives>
void weightedBackward(const Primitives& p, const Tensor& src, const Tensor& weights, const Shape& onednnWeightShape,
                      std::vector<Variable>& in, const Tensor& gy) {
  using dnnl::memory;
  if (in[0].requiresGrad()) {
    const auto& pd = p.backwardDataPd;
    const Tensor diffDst = onednn::toDesc(gy, pd.diff_dst_desc());
    const Tensor w = onednn::toDesc(weights, pd.weights_desc());
    Tensor diffSrc = onednn::emptyForDesc(in[0].shape(), pd.diff_src_desc());
    onednn::execute(p.backwardData, pd.scratchpad_desc(),
                    {{DNNL_ARG_DIFF_DST, onednn::memoryOf(diffDst)},
                     {DNNL_ARG_WEIGHTS, onednn::memoryOf(w)},
                     {DNNL_ARG_DIFF_SRC, onednn::memoryOf(diffSrc)}});
    in[0].addGrad(diffSrc);
  }
  const bool biasGrad = in[2].defined() && in[2].requiresGrad();
  if (!in[1].requiresGrad() && !biasGrad) return;
  const auto& pd = p.backwardWeightsPd;
  const Tensor diffDst = onednn::toDesc(gy, pd.diff_dst_desc());
  const Tensor s = onednn::toDesc(src, pd.src_desc());
  Tensor diffWeights = onednn::emptyForDesc(onednnWeightShape, pd.diff_weights_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, onednn::memoryOf(diffDst)},
                                       {DNNL_ARG_SRC, onednn::memoryOf(s)},
                                       {DNNL_ARG_DIFF_WEIGHTS, onednn::memoryOf(diffWeights)}};
  Tensor diffBias;
  if (in[2].defined()) {
    diffBias = onednn::emptyForDesc(in[2].shape(), pd.diff_bias_desc());
    args[DNNL_ARG_DIFF_BIAS] = onednn::memoryOf(diffBias);
  }
  onednn::execute(p.backwardWeights, pd.scratchpad_desc(), args);
  if (in[1].requiresGrad()) in[1].addGrad(diffWeights.plain().reshape(in[1].shape()));
  if (biasGrad) in[2].addGrad(diffBias.plain());
}

}  // namespace fgq::detail

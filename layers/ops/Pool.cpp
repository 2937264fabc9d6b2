// Max and average pooling on oneDNN pooling primitives, in whatever layout the input arrives in.
#include "layers/onednn/TensorMemory.h"
#include "layers/onednn/Descs.h"
#include "layers/onednn/PrimitiveCache.h"
#include "layers/ops/Ops.h"
#include "layers/reference/Reference.h"

namespace fgq {
namespace {

using namespace dnnl;

struct PoolPrimitives {
  pooling_forward::primitive_desc forwardPd;
  pooling_forward forward;
  pooling_backward::primitive_desc backwardPd;
  pooling_backward backward;
};

const PoolPrimitives& poolPrimitives(const memory::desc& src, const Shape& ys, reference::PoolKind kind,
                                     const Pool2dParams& p, bool withBackward) {
  static onednn::PrimitiveCache<PoolPrimitives> cache;
  const std::string key = onednn::descKey(src) + p.str() + (kind == reference::PoolKind::kMax ? "max" : "avg") +
                          (withBackward ? "t" : "i");
  return cache.get(key, [&] {
    const auto algo = kind == reference::PoolKind::kMax ? algorithm::pooling_max : algorithm::pooling_avg_include_padding;
    const memory::dims strides{p.stride[0], p.stride[1]}, kernel{p.kernel[0], p.kernel[1]};
    const memory::dims padding{p.padding[0], p.padding[1]};
    const auto prop = onednn::kForwardProp;
    const auto attr = onednn::defaultAttr();
    const memory::desc dst = onednn::anyDesc(ys);
    PoolPrimitives pp;
    pp.forwardPd = pooling_forward::primitive_desc(
        pooling_forward::desc(prop, algo, src, dst, strides, kernel, padding, padding), attr, onednn::engine());
    pp.forward = onednn::createPrimitive<pooling_forward>(pp.forwardPd);
    if (!withBackward) return pp;
    pp.backwardPd = pooling_backward::primitive_desc(
        pooling_backward::desc(algo, src, pp.forwardPd.dst_desc(), strides, kernel, padding, padding), attr,
        onednn::engine(), pp.forwardPd);
    pp.backward = onednn::createPrimitive<pooling_backward>(pp.backwardPd);
    return pp;
  });
}

Variable pool(const Variable& x, reference::PoolKind kind, const Pool2dParams& p) {
  const Shape ys = pool2dOutputShape(x.shape(), p);
  if (x.dtype() == DType::kF64)
    return Variable(reference::poolForward(x.tensor(), kind, p), {x}, [kind, p](std::vector<Variable>& in, const Tensor& gy) {
      in[0].addGrad(reference::poolBackward(gy, in[0].tensor(), kind, p));
    });

  const bool withBackward = gradEnabled() && x.requiresGrad();
  const Tensor& src = x.tensor();
  const memory::desc srcDesc = onednn::descOf(src);
  const PoolPrimitives& pp = poolPrimitives(srcDesc, ys, kind, p, withBackward);
  Tensor dst = onednn::emptyForDesc(ys, pp.forwardPd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, onednn::memoryOf(src)}, {DNNL_ARG_DST, onednn::memoryOf(dst)}};
  const memory::desc workspaceDesc = pp.forwardPd.workspace_desc();
  auto workspace = std::make_shared<Storage>(workspaceDesc.get_size());  // max pooling's argmax, for backward
  if (workspaceDesc.get_size() > 0) args[DNNL_ARG_WORKSPACE] = memory(workspaceDesc, onednn::engine(), workspace->data());
  onednn::execute(pp.forward, pp.forwardPd.scratchpad_desc(), args);
  if (!withBackward) return Variable(dst);

  return Variable(dst, {x}, [&pp, srcDesc, workspace](std::vector<Variable>& in, const Tensor& gy) {
    const Tensor diffDst = onednn::toDesc(gy, pp.backwardPd.diff_dst_desc());
    Tensor diffSrc = onednn::emptyForDesc(in[0].shape(), pp.backwardPd.diff_src_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, onednn::memoryOf(diffDst)},
                                         {DNNL_ARG_DIFF_SRC, onednn::memoryOf(diffSrc)}};
    const memory::desc workspaceDesc = pp.backwardPd.workspace_desc();
    if (workspaceDesc.get_size() > 0) args[DNNL_ARG_WORKSPACE] = memory(workspaceDesc, onednn::engine(), workspace->data());
    onednn::execute(pp.backward, pp.backwardPd.scratchpad_desc(), args);
    in[0].addGrad(diffSrc);
  });
}

}  // namespace

Variable maxPool2d(const Variable& x, const Pool2dParams& p) { return pool(x, reference::PoolKind::kMax, p); }
Variable avgPool2d(const Variable& x, const Pool2dParams& p) { return pool(x, reference::PoolKind::kAverage, p); }

Variable adaptiveAvgPool2d(const Variable& x, int64_t outH, int64_t outW) {
  const Shape& xs = x.shape();
  FGQ_CHECK(xs.rank() == 4 && outH >= 1 && outW >= 1 && xs[2] % outH == 0 && xs[3] % outW == 0,
            "adaptive_avg_pool2d to (" << outH << ", " << outW << ") needs an input [N, C, H, W] with H and W multiples "
                                       << "of the output, found " << xs.str());
  const Pair window{xs[2] / outH, xs[3] / outW};
  return avgPool2d(x, Pool2dParams{window, window, {0, 0}});
}

}  // namespace fgq

// relu on the oneDNN eltwise primitive, and dropout.
#include "autograd/Functions.h"
#include "core/Random.h"
#include "layers/onednn/TensorMemory.h"
#include "layers/onednn/PrimitiveCache.h"
#include "layers/ops/Ops.h"
#include "layers/reference/Dispatch.h"
#include "layers/reference/Reference.h"

namespace fgq {
namespace {

using namespace dnnl;

struct ReluPrimitives {
  eltwise_forward::primitive_desc forwardPd;
  eltwise_forward forward;
  eltwise_backward::primitive_desc backwardPd;
  eltwise_backward backward;
};

const ReluPrimitives& reluPrimitives(const memory::desc& data, bool withBackward) {
  static onednn::PrimitiveCache<ReluPrimitives> cache;
  return cache.get(onednn::descKey(data) + (withBackward ? "t" : "i"), [&] {
    const auto prop = onednn::kForwardProp;
    const auto attr = onednn::defaultAttr();
    ReluPrimitives r;
    r.forwardPd = eltwise_forward::primitive_desc(eltwise_forward::desc(prop, algorithm::eltwise_relu, data, 0.f, 0.f), attr,
                                                  onednn::engine());
    r.forward = onednn::createPrimitive<eltwise_forward>(r.forwardPd);
    if (!withBackward) return r;
    r.backwardPd = eltwise_backward::primitive_desc(eltwise_backward::desc(algorithm::eltwise_relu, data, data, 0.f, 0.f),
                                                    attr, onednn::engine(), r.forwardPd);
    r.backward = onednn::createPrimitive<eltwise_backward>(r.backwardPd);
    return r;
  });
}

}  // namespace

Variable relu(const Variable& x) {
  if (x.dtype() == DType::kF64)
    return Variable(reference::reluForward(x.tensor()), {x}, [](std::vector<Variable>& in, const Tensor& gy) {
      in[0].addGrad(reference::reluBackward(gy, in[0].tensor()));
    });
  const bool withBackward = gradEnabled() && x.requiresGrad();
  const Tensor src = x.tensor();
  const memory::desc data = onednn::descOf(src);
  const ReluPrimitives& r = reluPrimitives(data, withBackward);
  Tensor dst = onednn::emptyForDesc(x.shape(), data);
  onednn::execute(r.forward, r.forwardPd.scratchpad_desc(),
                  {{DNNL_ARG_SRC, onednn::memoryOf(src)}, {DNNL_ARG_DST, onednn::memoryOf(dst)}});
  if (!withBackward) return Variable(dst);
  return Variable(dst, {x}, [&r, src, data](std::vector<Variable>& in, const Tensor& gy) {
    const Tensor diffDst = onednn::toDesc(gy, data);
    Tensor diffSrc = onednn::emptyForDesc(in[0].shape(), data);
    onednn::execute(r.backward, r.backwardPd.scratchpad_desc(),
                    {{DNNL_ARG_SRC, onednn::memoryOf(src)},
                     {DNNL_ARG_DIFF_DST, onednn::memoryOf(diffDst)},
                     {DNNL_ARG_DIFF_SRC, onednn::memoryOf(diffSrc)}});
    in[0].addGrad(diffSrc);
  });
}

Variable dropout(const Variable& x, double p, uint64_t seed) {
  FGQ_CHECK(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1), found " << p);
  // The mask is drawn over the storage, so it applies to any layout; padding stays zero.
  Tensor mask = Tensor::emptyLike(x.tensor());
  Random random(seed);
  const int64_t n = static_cast<int64_t>(mask.bytes() / dtypeSize(mask.dtype()));
  reference::visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* m = static_cast<T*>(mask.raw());
    const T keep = static_cast<T>(1.0 / (1.0 - p));
    for (int64_t i = 0; i < n; ++i) m[i] = random.uniform() < p ? T(0) : keep;
  });
  return mul(Variable(mask), x);
}

}  // namespace fgq

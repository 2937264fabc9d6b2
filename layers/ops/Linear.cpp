// linear on oneDNN inner-product primitives (forward, backward data, backward weights).
#include "layers/onednn/TensorMemory.h"
#include "layers/onednn/Descs.h"
#include "layers/onednn/PrimitiveCache.h"
#include "layers/ops/Ops.h"
#include "layers/ops/WeightedOp.h"
#include "layers/reference/Reference.h"

namespace fgq {
namespace {

using namespace dnnl;
using onednn::anyDesc;

struct LinearPrimitives {
  inner_product_forward::primitive_desc forwardPd;
  inner_product_forward forward;
  inner_product_backward_data::primitive_desc backwardDataPd;
  inner_product_backward_data backwardData;
  inner_product_backward_weights::primitive_desc backwardWeightsPd;
  inner_product_backward_weights backwardWeights;
};

const LinearPrimitives& linearPrimitives(const Shape& xs, const Shape& ws, bool hasBias, bool training) {
  static onednn::PrimitiveCache<LinearPrimitives> cache;
  const std::string key = xs.str() + ws.str() + (hasBias ? "b" : "") + (training ? "t" : "i");
  return cache.get(key, [&] {
    const memory::desc src = anyDesc(xs), weights = anyDesc(ws), dst = anyDesc({xs[0], ws[0]});
    const memory::desc bias = hasBias ? anyDesc({ws[0]}) : memory::desc();
    const auto attr = onednn::defaultAttr();
    const engine& eng = onednn::engine();
    LinearPrimitives l;
    const auto prop = onednn::kForwardProp;
    l.forwardPd = inner_product_forward::primitive_desc(inner_product_forward::desc(prop, src, weights, bias, dst), attr, eng);
    l.forward = onednn::createPrimitive<inner_product_forward>(l.forwardPd);
    if (!training) return l;
    l.backwardDataPd = inner_product_backward_data::primitive_desc(
        inner_product_backward_data::desc(src, weights, dst), attr, eng, l.forwardPd);
    l.backwardData = onednn::createPrimitive<inner_product_backward_data>(l.backwardDataPd);
    l.backwardWeightsPd = inner_product_backward_weights::primitive_desc(
        inner_product_backward_weights::desc(src, weights, bias, dst), attr, eng, l.forwardPd);
    l.backwardWeights = onednn::createPrimitive<inner_product_backward_weights>(l.backwardWeightsPd);
    return l;
  });
}

Variable linearReference(const Variable& x, const Variable& w, const Variable& b) {
  return Variable(reference::linearForward(x.tensor(), w.tensor(), b.defined() ? b.tensor() : Tensor()), {x, w, b},
                  [](std::vector<Variable>& in, const Tensor& gy) {
                    if (in[0].requiresGrad()) in[0].addGrad(reference::linearBackwardData(gy, in[1].tensor()));
                    if (in[1].requiresGrad()) in[1].addGrad(reference::linearBackwardWeights(gy, in[0].tensor()));
                    if (in[2].defined() && in[2].requiresGrad()) in[2].addGrad(reference::biasBackward(gy));
                  });
}

}  // namespace

Variable linear(const Variable& x, const Variable& w, const Variable& b) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  FGQ_CHECK(xs.rank() == 2 && ws.rank() == 2 && xs[1] == ws[1],
            "linear input " << xs.str() << " does not fit weight " << ws.str() << " (expected [N, " << ws[1] << "])");
  if (b.defined()) FGQ_CHECK(b.shape() == Shape{ws[0]}, "linear bias " << b.shape().str() << " for weight " << ws.str());
  if (x.dtype() == DType::kF64) return linearReference(x, w, b);

  const bool training = gradEnabled() && (x.requiresGrad() || w.requiresGrad() || (b.defined() && b.requiresGrad()));
  const LinearPrimitives& l = linearPrimitives(xs, ws, b.defined(), training);
  Tensor src, weights;
  Tensor dst = detail::weightedForward(l, x.tensor(), w.tensor(), b, {xs[0], ws[0]}, src, weights);
  if (!training) return Variable(dst);
  return Variable(dst, {x, w, b}, [&l, src, weights](std::vector<Variable>& in, const Tensor& gy) {
    detail::weightedBackward(l, src, weights, in[1].shape(), in, gy);
  });
}

}  // namespace fgq

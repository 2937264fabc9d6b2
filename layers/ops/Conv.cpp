// conv2d on oneDNN convolution primitives (forward, backward data, backward weights).
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
using onednn::dimsOf;

// Weights as oneDNN sees them: [K, C/g, R, S], or [g, K/g, C/g, R, S] when grouped (same bytes).
Shape onednnWeightShape(const Shape& w, int64_t groups) {
  if (groups == 1) return w;
  return Shape{groups, w[0] / groups, w[1], w[2], w[3]};
}

struct ConvPrimitives {
  convolution_forward::primitive_desc forwardPd;
  convolution_forward forward;
  // Only for training configurations:
  convolution_backward_data::primitive_desc backwardDataPd;
  convolution_backward_data backwardData;
  convolution_backward_weights::primitive_desc backwardWeightsPd;
  convolution_backward_weights backwardWeights;
};

const ConvPrimitives& convPrimitives(const Shape& xs, const Shape& ws, const Shape& ys, bool hasBias,
                                     const Conv2dParams& p, bool training) {
  static onednn::PrimitiveCache<ConvPrimitives> cache;
  const std::string key = xs.str() + ws.str() + p.str() + (hasBias ? "b" : "") + (training ? "t" : "i");
  return cache.get(key, [&] {
    const memory::dims strides{p.stride[0], p.stride[1]};
    const memory::dims dilates{p.dilation[0] - 1, p.dilation[1] - 1};
    const memory::dims padding{p.padding[0], p.padding[1]};
    const memory::desc src = anyDesc(xs), weights = anyDesc(onednnWeightShape(ws, p.groups)), dst = anyDesc(ys);
    const memory::desc bias = hasBias ? anyDesc({ws[0]}) : memory::desc();
    const auto prop = onednn::kForwardProp;
    const auto attr = onednn::defaultAttr();
    const engine& eng = onednn::engine();
    ConvPrimitives c;
    c.forwardPd = convolution_forward::primitive_desc(
        convolution_forward::desc(prop, algorithm::convolution_direct, src, weights, bias, dst, strides, dilates, padding, padding),
        attr, eng);
    c.forward = onednn::createPrimitive<convolution_forward>(c.forwardPd);
    if (!training) return c;
    c.backwardDataPd = convolution_backward_data::primitive_desc(
        convolution_backward_data::desc(algorithm::convolution_direct, src, weights, dst, strides, dilates, padding, padding),
        attr, eng, c.forwardPd);
    c.backwardData = onednn::createPrimitive<convolution_backward_data>(c.backwardDataPd);
    c.backwardWeightsPd = convolution_backward_weights::primitive_desc(
        convolution_backward_weights::desc(algorithm::convolution_direct, src, weights, bias, dst, strides, dilates,
                                           padding, padding),
        attr, eng, c.forwardPd);
    c.backwardWeights = onednn::createPrimitive<convolution_backward_weights>(c.backwardWeightsPd);
    return c;
  });
}

Variable conv2dReference(const Variable& x, const Variable& w, const Variable& b, const Conv2dParams& p) {
  const Tensor bias = b.defined() ? b.tensor() : Tensor();
  return Variable(reference::convForward(x.tensor(), w.tensor(), bias, p), {x, w, b},
                  [p](std::vector<Variable>& in, const Tensor& gy) {
                    if (in[0].requiresGrad()) in[0].addGrad(reference::convBackwardData(gy, in[1].tensor(), in[0].shape(), p));
                    if (in[1].requiresGrad()) in[1].addGrad(reference::convBackwardWeights(gy, in[0].tensor(), in[1].shape(), p));
                    if (in[2].defined() && in[2].requiresGrad()) in[2].addGrad(reference::biasBackward(gy));
                  });
}

}  // namespace

Variable conv2d(const Variable& x, const Variable& w, const Variable& b, const Conv2dParams& p) {
  const Shape ys = conv2dOutputShape(x.shape(), w.shape(), p);
  if (b.defined())
    FGQ_CHECK(b.shape() == Shape{w.shape()[0]}, "conv2d bias " << b.shape().str() << " for weight " << w.shape().str());
  if (x.dtype() == DType::kF64) return conv2dReference(x, w, b, p);

  const bool training = gradEnabled() && (x.requiresGrad() || w.requiresGrad() || (b.defined() && b.requiresGrad()));
  const ConvPrimitives& c = convPrimitives(x.shape(), w.shape(), ys, b.defined(), p, training);
  const Shape oneDnnWeights = onednnWeightShape(w.shape(), p.groups);
  Tensor src, weights;
  Tensor dst = detail::weightedForward(c, x.tensor(), w.tensor().reshape(oneDnnWeights), b, ys, src, weights);
  if (!training) return Variable(dst);
  return Variable(dst, {x, w, b}, [&c, src, weights, oneDnnWeights](std::vector<Variable>& in, const Tensor& gy) {
    detail::weightedBackward(c, src, weights, oneDnnWeights, in, gy);
  });
}

}  // namespace fgq

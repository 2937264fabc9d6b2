// batchNorm2d on oneDNN batch-normalization primitives, in whatever layout the input arrives in.
#include <vector>

#include "layers/onednn/PrimitiveCache.h"
#include "layers/onednn/TensorMemory.h"
#include "layers/ops/BatchNormAcrossRanks.h"
#include "layers/ops/Ops.h"
#include "layers/reference/Dispatch.h"
#include "layers/reference/Reference.h"

namespace fgq {
namespace {

using namespace dnnl;

thread_local const Communicator* tSynchronizedGroup = nullptr;

struct BatchNormPrimitives {
  batch_normalization_forward::primitive_desc forwardPd;
  batch_normalization_forward forward;
  batch_normalization_backward::primitive_desc backwardPd;
  batch_normalization_backward backward;
};

// batchStats: normalize with the batch's statistics (else the given ones); withBackward: build backward.
const BatchNormPrimitives& batchNormPrimitives(const memory::desc& data, double eps, bool batchStats, bool withBackward) {
  static onednn::PrimitiveCache<BatchNormPrimitives> cache;
  const std::string key = onednn::descKey(data) + std::to_string(eps) + (batchStats ? "b" : "g") + (withBackward ? "t" : "i");
  return cache.get(key, [&] {
    auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
    if (!batchStats) flags = flags | normalization_flags::use_global_stats;
    const auto prop = onednn::kForwardProp;
    const auto attr = onednn::defaultAttr();
    BatchNormPrimitives b;
    b.forwardPd = batch_normalization_forward::primitive_desc(
        batch_normalization_forward::desc(prop, data, static_cast<float>(eps), flags), attr, onednn::engine());
    b.forward = onednn::createPrimitive<batch_normalization_forward>(b.forwardPd);
    if (!withBackward) return b;
    b.backwardPd = batch_normalization_backward::primitive_desc(
        batch_normalization_backward::desc(prop_kind::backward, data, data, static_cast<float>(eps), flags), attr,
        onednn::engine(), b.forwardPd);
    b.backward = onednn::createPrimitive<batch_normalization_backward>(b.backwardPd);
    return b;
  });
}

// running = (1 - momentum) * running + momentum * batch; the variance enters unbiased, as in PyTorch.
void updateRunningStats(BatchNormState& state, const Tensor& mean, const Tensor& variance, int64_t count) {
  const double unbias = count > 1 ? static_cast<double>(count) / static_cast<double>(count - 1) : 1.0;
  reference::visitFloat(state.runningMean.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Tensor m = mean.to(dtypeOf<T>()), v = variance.to(dtypeOf<T>());
    T* rm = state.runningMean.data<T>();
    T* rv = state.runningVar.data<T>();
    const T momentum = static_cast<T>(state.momentum);
    for (int64_t c = 0; c < m.numel(); ++c) {
      rm[c] = (1 - momentum) * rm[c] + momentum * m.data<T>()[c];
      rv[c] = (1 - momentum) * rv[c] + momentum * static_cast<T>(v.data<T>()[c] * unbias);
    }
  });
}

BatchNormGradients localBatchBackward(const BatchNormPrimitives& b, const Tensor& src, const Tensor& diffDst, const memory::desc& data,
                                      const Tensor& gamma, const Tensor& beta, const Tensor& mean, const Tensor& variance) {
  BatchNormGradients g{onednn::emptyForDesc(src.shape(), data), Tensor::empty(gamma.shape()), Tensor::empty(beta.shape())};
  onednn::execute(b.backward, b.backwardPd.scratchpad_desc(),
                  {{DNNL_ARG_SRC, onednn::memoryOf(src)},
                   {DNNL_ARG_MEAN, onednn::memoryOf(mean)},
                   {DNNL_ARG_VARIANCE, onednn::memoryOf(variance)},
                   {DNNL_ARG_DIFF_DST, onednn::memoryOf(diffDst)},
                   {DNNL_ARG_SCALE, onednn::memoryOf(gamma)},
                   {DNNL_ARG_SHIFT, onednn::memoryOf(beta)},  // the backward primitive asks for it too
                   {DNNL_ARG_DIFF_SRC, onednn::memoryOf(g.diffSrc)},
                   {DNNL_ARG_DIFF_SCALE, onednn::memoryOf(g.diffScale)},
                   {DNNL_ARG_DIFF_SHIFT, onednn::memoryOf(g.diffShift)}});
  return g;
}

Variable batchNormReference(const Variable& x, const Variable& gamma, const Variable& beta, BatchNormState& state,
                            bool training) {
  const double eps = state.eps;
  auto r = training ? reference::batchNormForward(x.tensor(), gamma.tensor(), beta.tensor(), nullptr, nullptr, eps)
                    : reference::batchNormForward(x.tensor(), gamma.tensor(), beta.tensor(), &state.runningMean,
                                                  &state.runningVar, eps);
  if (training) updateRunningStats(state, r.mean, r.variance, x.tensor().numel() / x.shape()[1]);
  return Variable(r.y, {x, gamma, beta},
                  [mean = r.mean, variance = r.variance, eps, training](std::vector<Variable>& in, const Tensor& gy) {
                    auto g = reference::batchNormBackward(gy, in[0].tensor(), in[1].tensor(), mean, variance, eps, training);
                    in[0].addGrad(g.gx);
                    in[1].addGrad(g.gGamma);
                    in[2].addGrad(g.gBeta);
                  });
}

}  // namespace

Variable batchNorm2d(const Variable& x, const Variable& gamma, const Variable& beta, BatchNormState state, bool training) {
  const Shape& xs = x.shape();
  FGQ_CHECK(xs.rank() == 4, "batch_norm2d needs input [N, C, H, W], found " << xs.str());
  const Shape channels{xs[1]};
  for (const Tensor* t : std::initializer_list<const Tensor*>{&gamma.tensor(), &beta.tensor(), &state.runningMean, &state.runningVar})
    FGQ_CHECK(t->shape() == channels, "batch_norm2d over " << xs.str() << " needs parameters and statistics of shape "
                                                           << channels.str() << ", found " << t->shape().str());
  if (x.dtype() == DType::kF64) {
    FGQ_CHECK(!tSynchronizedGroup || !tSynchronizedGroup->distributed(), "synchronized batch norm runs in f32 only");
    return batchNormReference(x, gamma, beta, state, training);
  }

  const bool withBackward = gradEnabled() && (x.requiresGrad() || gamma.requiresGrad() || beta.requiresGrad());
  const Communicator* group = training && tSynchronizedGroup && tSynchronizedGroup->distributed() ? tSynchronizedGroup : nullptr;
  const Tensor src = x.tensor();
  const memory::desc data = onednn::descOf(src);
  // Synchronized, oneDNN normalizes with the statistics of every rank's batch, and backward is ours.
  const BatchNormPrimitives& b = batchNormPrimitives(data, state.eps, training && !group, withBackward && !group);
  Tensor dst = onednn::emptyForDesc(xs, data);
  Tensor mean = training ? Tensor::empty(channels) : state.runningMean.clone();
  Tensor variance = training ? Tensor::empty(channels) : state.runningVar.clone();
  const int64_t count = group ? globalBatchStatistics(*group, src, data, mean, variance) : x.tensor().numel() / xs[1];
  onednn::execute(b.forward, b.forwardPd.scratchpad_desc(),
                  {{DNNL_ARG_SRC, onednn::memoryOf(src)},
                   {DNNL_ARG_DST, onednn::memoryOf(dst)},
                   {DNNL_ARG_SCALE, onednn::memoryOf(gamma.tensor())},
                   {DNNL_ARG_SHIFT, onednn::memoryOf(beta.tensor())},
                   {DNNL_ARG_MEAN, onednn::memoryOf(mean)},
                   {DNNL_ARG_VARIANCE, onednn::memoryOf(variance)}});
  if (training) updateRunningStats(state, mean, variance, count);
  if (!withBackward) return Variable(dst);

  const double eps = state.eps;
  return Variable(dst, {x, gamma, beta}, [&b, src, mean, variance, data, group, eps](std::vector<Variable>& in, const Tensor& gy) {
    const Tensor diffDst = onednn::toDesc(gy, data);
    BatchNormGradients g = group ? globalBatchBackward(*group, src, diffDst, data, in[1].tensor(), mean, variance, eps)
                                 : localBatchBackward(b, src, diffDst, data, in[1].tensor(), in[2].tensor(), mean, variance);
    in[0].addGrad(g.diffSrc);
    in[1].addGrad(g.diffScale);
    in[2].addGrad(g.diffShift);
  });
}

SynchronizedBatchNorm::SynchronizedBatchNorm(const Communicator& group) : previous_(tSynchronizedGroup) { tSynchronizedGroup = &group; }
SynchronizedBatchNorm::~SynchronizedBatchNorm() { tSynchronizedGroup = previous_; }

}  // namespace fgq

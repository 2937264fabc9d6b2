#pragma once
// The layer ops, as functions on Variables (like torch.nn.functional). f32 runs on oneDNN primitives,
// cached per configuration, with activations kept in the layouts oneDNN picks; f64 runs the plain-loop
// references (for gradcheck in double precision). Shapes are PyTorch's: activations [N, C, H, W],
// conv weights [K, C/groups, R, S], linear weights [K, C]. An undefined Variable means "no bias".
#include "autograd/Variable.h"
#include "core/Communicator.h"
#include "layers/ops/Params.h"

namespace fgq {

Variable conv2d(const Variable& x, const Variable& w, const Variable& b, const Conv2dParams& p);
Variable linear(const Variable& x, const Variable& w, const Variable& b);

// Training: normalizes with the batch's statistics and moves the running ones towards them
// (running = (1 - momentum) * running + momentum * batch, unbiased variance, as PyTorch). Evaluation:
// normalizes with the running statistics. runningMean and runningVar are [C] f32 or the input's dtype.
struct BatchNormState {
  Tensor& runningMean;
  Tensor& runningVar;
  double momentum = 0.1;
  double eps = 1e-5;
};
Variable batchNorm2d(const Variable& x, const Variable& gamma, const Variable& beta, BatchNormState state, bool training);

// While alive, batch norm in training mode on this thread normalizes with the statistics of every rank's
// batch together (synchronized batch norm: each rank's count, sums and sums of squares added up),
// updates the running statistics with them, and its backward sums the gradient's batch terms over the
// ranks: the gradient of the global batch. Every rank runs the same graph.
class SynchronizedBatchNorm {
 public:
  explicit SynchronizedBatchNorm(const Communicator& group);
  ~SynchronizedBatchNorm();
  SynchronizedBatchNorm(const SynchronizedBatchNorm&) = delete;
  SynchronizedBatchNorm& operator=(const SynchronizedBatchNorm&) = delete;

 private:
  const Communicator* previous_;
};

Variable relu(const Variable& x);
Variable maxPool2d(const Variable& x, const Pool2dParams& p);
Variable avgPool2d(const Variable& x, const Pool2dParams& p);  // padding counts in the divisor
// Output [N, C, outH, outW]; the input extents must be multiples of the output ones.
Variable adaptiveAvgPool2d(const Variable& x, int64_t outH, int64_t outW);

// Zeroes each element with probability p and scales the rest by 1/(1-p); the mask comes from `seed`.
Variable dropout(const Variable& x, double p, uint64_t seed);

// Mean over the batch of -log softmax(logits)[target]; logits [N, K], targets [N] s64 in [0, K).
// With label smoothing e the target distribution is (1-e) one-hot + e/K, as torch.nn.CrossEntropyLoss.
Variable crossEntropy(const Variable& logits, const Tensor& targets, double labelSmoothing = 0.0);

// mean |x - target| over every element (the distillation error of methods.md, section 2.4); the
// gradient is sign(x - target) / numel, zero where they are equal. target is a constant.
Variable l1Loss(const Variable& x, const Tensor& target);

}  // namespace fgq

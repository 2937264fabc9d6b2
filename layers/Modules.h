#pragma once
// The standard layers, with PyTorch's parameter names, shapes and default initialization
// (kaiming-uniform with a = sqrt(5) for weights, uniform(+-1/sqrt(fan_in)) for biases).
#include "core/Random.h"
#include "layers/Module.h"
#include "layers/ops/Ops.h"

namespace fgq {

struct Conv2dOptions {
  int64_t inChannels = 0, outChannels = 0, kernel = 1;
  Conv2dParams params{};
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(const Conv2dOptions& options, Random& random);
  Variable forward(const Variable& x) override;
  Variable weight, bias;  // [K, C/groups, R, S], [K] (undefined without bias)
  const Conv2dParams params;
};

class Linear : public Module {
 public:
  Linear(int64_t inFeatures, int64_t outFeatures, Random& random, bool bias = true);
  Variable forward(const Variable& x) override;
  Variable weight, bias;  // [K, C], [K]
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  Variable forward(const Variable& x) override;
  Variable weight, bias;                             // gamma = 1, beta = 0
  Tensor runningMean, runningVar, numBatchesTracked;  // num_batches_tracked is an s64 scalar
  double momentum, eps;
};

class ReLU : public Module {
 public:
  Variable forward(const Variable& x) override { return relu(x); }
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const Pool2dParams& params) : params_(params) {}
  Variable forward(const Variable& x) override { return maxPool2d(x, params_); }

 private:
  Pool2dParams params_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const Pool2dParams& params) : params_(params) {}
  Variable forward(const Variable& x) override { return avgPool2d(x, params_); }

 private:
  Pool2dParams params_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(int64_t outH, int64_t outW) : outH_(outH), outW_(outW) {}
  Variable forward(const Variable& x) override { return adaptiveAvgPool2d(x, outH_, outW_); }

 private:
  int64_t outH_, outW_;
};

class Flatten : public Module {
 public:
  Variable forward(const Variable& x) override;
};

class Dropout : public Module {
 public:
  Dropout(double p, Random& random) : p_(p), random_(random.nextU64()) {}
  Variable forward(const Variable& x) override;

 protected:
  void reseedSelf(uint64_t seed) override { random_.reseed(seed); }

 private:
  double p_;
  Random random_;
};

class Sequential : public Module {
 public:
  Sequential() = default;
  // Children are named "0", "1", ... as torch.nn.Sequential.
  void append(std::shared_ptr<Module> module);
  Variable forward(const Variable& x) override;
  size_t size() const { return modules_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace fgq

#pragma once
// The standard layers, with PyTorch's parameter names, shapes and default initialization
// (kaiming-uniform with a = sqrt(5) for weights, uniform(+-1/sqrt(fan_in)) for biases).
#include <functional>
#include <optional>

#include "core/Random.h"
#include "layers/Module.h"
#include "layers/ops/Ops.h"

namespace fgq {

struct Conv2dOptions {
  int64_t inChannels = 0, outChannels = 0, kernel = 1;
  Conv2dParams params{};
  bool bias = true;
};

// A conv or inner product: a weight, an optional bias, and two optional quantizer hooks that
// compression installs. An input quantizer maps the incoming activation (child "input_quantizer"); a
// weight quantizer maps the stored weight to the one the op uses (child "weight_quantizer"), which is
// how fake-quantized and ternary-fine-tuned layers keep FP32 shadow weights.
class WeightedLayer : public Module {
 public:
  Variable weight, bias;
  void setInputQuantizer(std::shared_ptr<Module> quantizer);
  void replaceInputQuantizer(std::shared_ptr<Module> quantizer);  // swaps an installed one
  void setWeightQuantizer(std::shared_ptr<Module> quantizer);
  // Gives a layer built without a bias one (registered as "bias"), or replaces its values.
  void setBias(const Tensor& values);
  Module* inputQuantizer() const { return inputQuantizer_.get(); }
  Module* weightQuantizer() const { return weightQuantizer_.get(); }
  // Multiply-accumulates per output value (C/groups * R * S for a conv, C for an inner product).
  virtual int64_t macsPerOutput() const = 0;

 protected:
  Variable quantizedInput(const Variable& x);
  Variable effectiveWeight();

 private:
  std::shared_ptr<Module> inputQuantizer_, weightQuantizer_;
};

// The input shape each conv and inner product of `model` sees for one image of `imageShape` ([C, H, W]),
// by shape inference.
Module::LayerInputShapes layerInputShapes(const Module& model, const Shape& imageShape);

class Conv2d : public WeightedLayer {
 public:
  Conv2d(const Conv2dOptions& options, Random& random);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kConv, {input}, this); }
  int64_t macsPerOutput() const override;
  const Conv2dParams params;  // weight [K, C/groups, R, S], bias [K] (undefined without bias)
};

class Linear : public WeightedLayer {
 public:
  Linear(int64_t inFeatures, int64_t outFeatures, Random& random, bool bias = true);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kLinear, {input}, this); }
  int64_t macsPerOutput() const override;  // weight [K, C], bias [K]
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, std::optional<double> momentum = 0.1, double eps = 1e-5);
  Variable forward(const Variable& x) override;
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kBatchNorm, {input}, this); }
  Variable weight, bias;                             // gamma = 1, beta = 0
  Tensor runningMean, runningVar, numBatchesTracked;  // num_batches_tracked is an s64 scalar
  // Called with every input before it is normalized (data-free calibration matches statistics on it).
  std::function<void(const Variable&)> inputObserver;
  // nullopt: running statistics are the cumulative average of every batch (PyTorch's momentum=None).
  std::optional<double> momentum;
  double eps;
};

class ReLU : public Module {
 public:
  Variable forward(const Variable& x) override { return relu(x); }
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kRelu, {input}); }
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const Pool2dParams& params) : params_(params) {}
  Variable forward(const Variable& x) override { return maxPool2d(x, params_); }
  Shape inferShape(const Shape& input, LayerInputShapes&) const override { return pool2dOutputShape(input, params_); }
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kMaxPool, {input}, this); }
  const Pool2dParams& params() const { return params_; }

 private:
  Pool2dParams params_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const Pool2dParams& params) : params_(params) {}
  Variable forward(const Variable& x) override { return avgPool2d(x, params_); }
  Shape inferShape(const Shape& input, LayerInputShapes&) const override { return pool2dOutputShape(input, params_); }
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kAvgPool, {input}, this); }
  const Pool2dParams& params() const { return params_; }

 private:
  Pool2dParams params_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(int64_t outH, int64_t outW) : outH_(outH), outW_(outW) {}
  Variable forward(const Variable& x) override { return adaptiveAvgPool2d(x, outH_, outW_); }
  Shape inferShape(const Shape& input, LayerInputShapes&) const override { return Shape{input[0], input[1], outH_, outW_}; }
  int trace(Graph& graph, int input) const override { return graph.addAdaptiveAvgPool(input, outH_, outW_); }

 private:
  int64_t outH_, outW_;
};

class Flatten : public Module {
 public:
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes&) const override { return Shape{input[0], input.numel() / input[0]}; }
  int trace(Graph& graph, int input) const override { return graph.add(GraphOp::kFlatten, {input}, this); }
};

class Dropout : public Module {
 public:
  Dropout(double p, Random& random) : p_(p), random_(random.nextU64()) {}
  Variable forward(const Variable& x) override;
  int trace(Graph&, int input) const override { return input; }

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
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;
  size_t size() const { return modules_.size(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace fgq

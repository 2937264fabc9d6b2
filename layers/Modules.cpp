#include "layers/Modules.h"

#include <cmath>

#include "autograd/Functions.h"

namespace fgq {
namespace {

// PyTorch's reset_parameters for conv and linear: weights and biases uniform in +-1/sqrt(fan_in).
Tensor uniformInit(const Shape& shape, int64_t fanIn, Random& random) {
  Tensor t = Tensor::empty(shape);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fanIn));
  random.fillUniform(t, -bound, bound);
  return t;
}

}  // namespace

void WeightedLayer::setInputQuantizer(std::shared_ptr<Module> quantizer) {
  FGQ_CHECK(!inputQuantizer_, "layer already has an input quantizer");
  inputQuantizer_ = registerModule("input_quantizer", std::move(quantizer));
}

void WeightedLayer::replaceInputQuantizer(std::shared_ptr<Module> quantizer) {
  inputQuantizer_ = registerModule("input_quantizer", std::move(quantizer));
}

void WeightedLayer::setWeightQuantizer(std::shared_ptr<Module> quantizer) {
  FGQ_CHECK(!weightQuantizer_, "layer already has a weight quantizer");
  weightQuantizer_ = registerModule("weight_quantizer", std::move(quantizer));
}

void WeightedLayer::setBias(const Tensor& values) {
  FGQ_CHECK(values.shape() == Shape{weight.shape()[0]}, "bias " << values.shape().str() << " for weight " << weight.shape().str());
  if (bias.defined()) {
    bias.tensor().copyFrom(values);
    return;
  }
  bias = Variable(values.clone());
  registerParameter("bias", &bias);
}

Variable WeightedLayer::quantizedInput(const Variable& x) {
  return inputQuantizer_ ? inputQuantizer_->forward(x) : x;
}

Variable WeightedLayer::effectiveWeight() { return weightQuantizer_ ? weightQuantizer_->forward(weight) : weight; }

Conv2d::Conv2d(const Conv2dOptions& o, Random& random) : params(o.params) {
  FGQ_CHECK(o.inChannels > 0 && o.outChannels > 0 && o.kernel > 0 && o.inChannels % o.params.groups == 0 &&
                o.outChannels % o.params.groups == 0,
            "conv2d with " << o.inChannels << " input and " << o.outChannels << " output channels, kernel " << o.kernel
                           << ", " << o.params.str());
  const int64_t fanIn = o.inChannels / o.params.groups * o.kernel * o.kernel;
  weight = Variable(uniformInit({o.outChannels, o.inChannels / o.params.groups, o.kernel, o.kernel}, fanIn, random));
  registerParameter("weight", &weight);
  if (o.bias) {
    bias = Variable(uniformInit({o.outChannels}, fanIn, random));
    registerParameter("bias", &bias);
  }
}

Variable Conv2d::forward(const Variable& x) { return conv2d(quantizedInput(x), effectiveWeight(), bias, params); }

Module::LayerInputShapes layerInputShapes(const Module& model, const Shape& imageShape) {
  std::vector<int64_t> dims{1};
  dims.insert(dims.end(), imageShape.dims().begin(), imageShape.dims().end());
  Module::LayerInputShapes inputs;
  model.inferShape(Shape(dims), inputs);
  return inputs;
}

Shape Conv2d::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  layerInputs[this] = input;
  return conv2dOutputShape(input, weight.shape(), params);
}

int64_t Conv2d::macsPerOutput() const { return weight.tensor().numel() / weight.shape()[0]; }

Linear::Linear(int64_t inFeatures, int64_t outFeatures, Random& random, bool withBias) {
  FGQ_CHECK(inFeatures > 0 && outFeatures > 0, "linear with " << inFeatures << " inputs and " << outFeatures << " outputs");
  weight = Variable(uniformInit({outFeatures, inFeatures}, inFeatures, random));
  registerParameter("weight", &weight);
  if (withBias) {
    bias = Variable(uniformInit({outFeatures}, inFeatures, random));
    registerParameter("bias", &bias);
  }
}

Variable Linear::forward(const Variable& x) { return linear(quantizedInput(x), effectiveWeight(), bias); }

Shape Linear::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  FGQ_CHECK(input.rank() == 2 && input[1] == weight.shape()[1], "linear " << weight.shape().str() << " on input " << input.str());
  layerInputs[this] = input;
  return Shape{input[0], weight.shape()[0]};
}

int64_t Linear::macsPerOutput() const { return weight.shape()[1]; }

BatchNorm2d::BatchNorm2d(int64_t channels, std::optional<double> momentum, double eps)
    : weight(Tensor::full({channels}, 1.0)),
      bias(Tensor::zeros({channels})),
      runningMean(Tensor::zeros({channels})),
      runningVar(Tensor::full({channels}, 1.0)),
      numBatchesTracked(Tensor::zeros({}, DType::kS64)),
      momentum(momentum),
      eps(eps) {
  registerParameter("weight", &weight);
  registerParameter("bias", &bias);
  registerBuffer("running_mean", &runningMean);
  registerBuffer("running_var", &runningVar);
  registerBuffer("num_batches_tracked", &numBatchesTracked);
}

Variable BatchNorm2d::forward(const Variable& x) {
  if (inputObserver) inputObserver(x);
  int64_t& batches = numBatchesTracked.data<int64_t>()[0];
  if (isTraining()) ++batches;
  const double factor = momentum ? *momentum : 1.0 / static_cast<double>(std::max<int64_t>(batches, 1));
  return batchNorm2d(x, weight, bias, BatchNormState{runningMean, runningVar, factor, eps}, isTraining());
}

Variable Flatten::forward(const Variable& x) { return flatten(x); }

Variable Dropout::forward(const Variable& x) {
  if (!isTraining() || p_ == 0.0) return x;
  return dropout(x, p_, random_.nextU64());
}

void Sequential::append(std::shared_ptr<Module> module) {
  registerModule(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

Variable Sequential::forward(const Variable& x) {
  Variable out = x;
  for (auto& module : modules_) out = module->forward(out);
  return out;
}

int Sequential::trace(Graph& graph, int input) const {
  for (const auto& module : modules_) input = module->trace(graph, input);
  return input;
}

Shape Sequential::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  Shape out = input;
  for (const auto& module : modules_) out = module->inferShape(out, layerInputs);
  return out;
}

}  // namespace fgq

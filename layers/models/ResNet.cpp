#include "layers/models/ResNet.h"

#include <cmath>

#include "autograd/Functions.h"

namespace fgq {
namespace {

// torchvision initializes ResNet convs with kaiming_normal_(mode="fan_out", nonlinearity="relu").
std::shared_ptr<Conv2d> makeConv(int64_t in, int64_t out, int64_t kernel, int64_t stride, Random& random) {
  const int64_t padding = kernel / 2;
  auto conv = std::make_shared<Conv2d>(
      Conv2dOptions{in, out, kernel, Conv2dParams{{stride, stride}, {padding, padding}}, false}, random);
  random.fillNormal(conv->weight.tensor(), 0.0, std::sqrt(2.0 / static_cast<double>(out * kernel * kernel)));
  return conv;
}

std::shared_ptr<Sequential> makeDownsample(int64_t in, int64_t out, int64_t stride, Random& random) {
  if (stride == 1 && in == out) return nullptr;
  auto downsample = std::make_shared<Sequential>();
  downsample->append(makeConv(in, out, 1, stride, random));
  downsample->append(std::make_shared<BatchNorm2d>(out));
  return downsample;
}

}  // namespace

BasicBlock::BasicBlock(int64_t in, int64_t channels, int64_t stride, Random& random) {
  conv1_ = registerModule("conv1", makeConv(in, channels, 3, stride, random));
  bn1_ = registerModule("bn1", std::make_shared<BatchNorm2d>(channels));
  conv2_ = registerModule("conv2", makeConv(channels, channels, 3, 1, random));
  bn2_ = registerModule("bn2", std::make_shared<BatchNorm2d>(channels));
  if (auto d = makeDownsample(in, channels, stride, random)) downsample_ = registerModule("downsample", d);
}

Variable BasicBlock::forward(const Variable& x) {
  Variable out = relu(bn1_->forward(conv1_->forward(x)));
  out = bn2_->forward(conv2_->forward(out));
  return relu(add(out, downsample_ ? downsample_->forward(x) : x));
}

namespace {

// relu(main + shortcut), the end of every residual block.
int traceResidual(Graph& graph, int main, int input, const Sequential* downsample) {
  const int shortcut = downsample ? downsample->trace(graph, input) : input;
  return graph.add(GraphOp::kRelu, {graph.add(GraphOp::kAdd, {main, shortcut})});
}

int traceConvBn(Graph& graph, int input, const Conv2d& conv, const BatchNorm2d& bn, bool relu) {
  const int out = bn.trace(graph, conv.trace(graph, input));
  return relu ? graph.add(GraphOp::kRelu, {out}) : out;
}

// The residual sum needs the main path and the shortcut to agree, as add() checks in forward.
Shape residualShape(const Shape& main, const Shape& input, const Sequential* downsample, Module::LayerInputShapes& layerInputs) {
  const Shape shortcut = downsample ? downsample->inferShape(input, layerInputs) : input;
  FGQ_CHECK(main == shortcut, "residual block: main path " << main.str() << " and shortcut " << shortcut.str() << " differ");
  return main;
}

}  // namespace

Shape BasicBlock::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  const Shape main = conv2_->inferShape(conv1_->inferShape(input, layerInputs), layerInputs);
  return residualShape(main, input, downsample_.get(), layerInputs);
}

int BasicBlock::trace(Graph& graph, int input) const {
  const int out = traceConvBn(graph, input, *conv1_, *bn1_, true);
  return traceResidual(graph, traceConvBn(graph, out, *conv2_, *bn2_, false), input, downsample_.get());
}

Bottleneck::Bottleneck(int64_t in, int64_t channels, int64_t stride, Random& random) {
  const int64_t out = channels * kExpansion;
  conv1_ = registerModule("conv1", makeConv(in, channels, 1, 1, random));
  bn1_ = registerModule("bn1", std::make_shared<BatchNorm2d>(channels));
  conv2_ = registerModule("conv2", makeConv(channels, channels, 3, stride, random));
  bn2_ = registerModule("bn2", std::make_shared<BatchNorm2d>(channels));
  conv3_ = registerModule("conv3", makeConv(channels, out, 1, 1, random));
  bn3_ = registerModule("bn3", std::make_shared<BatchNorm2d>(out));
  if (auto d = makeDownsample(in, out, stride, random)) downsample_ = registerModule("downsample", d);
}

Variable Bottleneck::forward(const Variable& x) {
  Variable out = relu(bn1_->forward(conv1_->forward(x)));
  out = relu(bn2_->forward(conv2_->forward(out)));
  out = bn3_->forward(conv3_->forward(out));
  return relu(add(out, downsample_ ? downsample_->forward(x) : x));
}

int Bottleneck::trace(Graph& graph, int input) const {
  int out = traceConvBn(graph, input, *conv1_, *bn1_, true);
  out = traceConvBn(graph, out, *conv2_, *bn2_, true);
  return traceResidual(graph, traceConvBn(graph, out, *conv3_, *bn3_, false), input, downsample_.get());
}

Shape Bottleneck::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  const Shape main = conv3_->inferShape(conv2_->inferShape(conv1_->inferShape(input, layerInputs), layerInputs), layerInputs);
  return residualShape(main, input, downsample_.get(), layerInputs);
}

ResNet::ResNet(const ResNetSpec& spec, const ModelOptions& o) {
  FGQ_CHECK(o.inChannels > 0 && o.numClasses > 0, "resnet with " << o.inChannels << " input channels and "
                                                                  << o.numClasses << " classes");
  const int64_t minInput = spec.imagenetStem ? 32 : 8;
  FGQ_CHECK(o.inputSize >= minInput, "resnet input size " << o.inputSize << " is below the minimum " << minInput);
  Random random(o.seed);
  const int64_t stemWidth = spec.widths.front();
  conv1_ = registerModule("conv1", spec.imagenetStem ? makeConv(o.inChannels, stemWidth, 7, 2, random)
                                                     : makeConv(o.inChannels, stemWidth, 3, 1, random));
  bn1_ = registerModule("bn1", std::make_shared<BatchNorm2d>(stemWidth));
  if (spec.imagenetStem) maxpool_ = registerModule("maxpool", std::make_shared<MaxPool2d>(Pool2dParams{{3, 3}, {2, 2}, {1, 1}}));

  const int64_t expansion = spec.bottleneck ? Bottleneck::kExpansion : BasicBlock::kExpansion;
  int64_t in = stemWidth;
  for (size_t s = 0; s < spec.blocks.size(); ++s) {
    auto stage = std::make_shared<Sequential>();
    for (int64_t b = 0; b < spec.blocks[s]; ++b) {
      const int64_t stride = (b == 0 && s > 0) ? 2 : 1;
      if (spec.bottleneck)
        stage->append(std::make_shared<Bottleneck>(in, spec.widths[s], stride, random));
      else
        stage->append(std::make_shared<BasicBlock>(in, spec.widths[s], stride, random));
      in = spec.widths[s] * expansion;
    }
    stages_.push_back(registerModule("layer" + std::to_string(s + 1), stage));
  }
  fc_ = registerModule("fc", std::make_shared<Linear>(in, o.numClasses, random));
}

Variable ResNet::forward(const Variable& x) {
  Variable out = relu(bn1_->forward(conv1_->forward(x)));
  if (maxpool_) out = maxpool_->forward(out);
  for (auto& stage : stages_) out = stage->forward(out);
  return fc_->forward(flatten(adaptiveAvgPool2d(out, 1, 1)));
}

int ResNet::trace(Graph& graph, int input) const {
  int out = traceConvBn(graph, input, *conv1_, *bn1_, true);
  if (maxpool_) out = maxpool_->trace(graph, out);
  for (const auto& stage : stages_) out = stage->trace(graph, out);
  out = graph.add(GraphOp::kFlatten, {graph.addAdaptiveAvgPool(out, 1, 1)});
  return fc_->trace(graph, out);
}

Shape ResNet::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  Shape out = conv1_->inferShape(input, layerInputs);
  if (maxpool_) out = maxpool_->inferShape(out, layerInputs);
  for (const auto& stage : stages_) out = stage->inferShape(out, layerInputs);
  return fc_->inferShape(Shape{out[0], out[1]}, layerInputs);
}

}  // namespace fgq

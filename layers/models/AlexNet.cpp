#include "layers/models/AlexNet.h"

#include "autograd/Functions.h"

namespace fgq {
namespace {

int64_t convOut(int64_t in, int64_t kernel, int64_t stride, int64_t padding) { return (in + 2 * padding - kernel) / stride + 1; }

}  // namespace

AlexNet::AlexNet(const ModelOptions& o) {
  Random random(o.seed);
  // The spatial size after features must be a multiple of 6 for the 6x6 average pool (224 gives 6).
  int64_t size = convOut(o.inputSize, 11, 4, 2);
  size = convOut(convOut(size, 3, 2, 0), 3, 2, 0);
  size = convOut(size, 3, 2, 0);
  FGQ_CHECK(size >= 6 && size % 6 == 0, "alexnet input size " << o.inputSize << " gives a " << size
                                                              << "x" << size << " feature map; it must be a multiple of 6 (use 224)");
  auto conv = [&](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
    return std::make_shared<Conv2d>(Conv2dOptions{in, out, kernel, {{stride, stride}, {padding, padding}}, true}, random);
  };
  auto pool = [] { return std::make_shared<MaxPool2d>(Pool2dParams{{3, 3}, {2, 2}, {0, 0}}); };
  features_ = registerModule("features", std::make_shared<Sequential>());
  features_->append(conv(o.inChannels, 64, 11, 4, 2));
  features_->append(std::make_shared<ReLU>());
  features_->append(pool());
  features_->append(conv(64, 192, 5, 1, 2));
  features_->append(std::make_shared<ReLU>());
  features_->append(pool());
  features_->append(conv(192, 384, 3, 1, 1));
  features_->append(std::make_shared<ReLU>());
  features_->append(conv(384, 256, 3, 1, 1));
  features_->append(std::make_shared<ReLU>());
  features_->append(conv(256, 256, 3, 1, 1));
  features_->append(std::make_shared<ReLU>());
  features_->append(pool());
  classifier_ = registerModule("classifier", std::make_shared<Sequential>());
  classifier_->append(std::make_shared<Dropout>(0.5, random));
  classifier_->append(std::make_shared<Linear>(256 * 6 * 6, 4096, random));
  classifier_->append(std::make_shared<ReLU>());
  classifier_->append(std::make_shared<Dropout>(0.5, random));
  classifier_->append(std::make_shared<Linear>(4096, 4096, random));
  classifier_->append(std::make_shared<ReLU>());
  classifier_->append(std::make_shared<Linear>(4096, o.numClasses, random));
}

Variable AlexNet::forward(const Variable& x) {
  return classifier_->forward(flatten(adaptiveAvgPool2d(features_->forward(x), 6, 6)));
}

int AlexNet::trace(Graph& graph, int input) const {
  const int pooled = graph.addAdaptiveAvgPool(features_->trace(graph, input), 6, 6);
  return classifier_->trace(graph, graph.add(GraphOp::kFlatten, {pooled}));
}

Shape AlexNet::inferShape(const Shape& input, LayerInputShapes& layerInputs) const {
  const Shape features = features_->inferShape(input, layerInputs);
  return classifier_->inferShape(Shape{features[0], features[1] * 6 * 6}, layerInputs);
}

}  // namespace fgq

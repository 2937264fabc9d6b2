#pragma once
// ResNets: the blocks and the network, in torchvision's structure and names.
#include "layers/Modules.h"
#include "layers/models/Models.h"

namespace fgq {

class BasicBlock : public Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlock(int64_t inChannels, int64_t channels, int64_t stride, Random& random);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<Sequential> downsample_;  // null for an identity shortcut
};

class Bottleneck : public Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t inChannels, int64_t channels, int64_t stride, Random& random);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;

 private:
  std::shared_ptr<Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<Sequential> downsample_;
};

struct ResNetSpec {
  bool bottleneck = false;
  std::vector<int64_t> blocks;  // per stage
  std::vector<int64_t> widths;  // per stage
  bool imagenetStem = true;     // 7x7/2 conv + 3x3/2 max pool; else a 3x3/1 conv (CIFAR)
};

class ResNet : public Module {
 public:
  ResNet(const ResNetSpec& spec, const ModelOptions& options);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;

 private:
  std::shared_ptr<Conv2d> conv1_;
  std::shared_ptr<BatchNorm2d> bn1_;
  std::shared_ptr<MaxPool2d> maxpool_;  // null for the CIFAR stem
  std::vector<std::shared_ptr<Sequential>> stages_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace fgq

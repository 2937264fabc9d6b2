#pragma once
// Models built by name, with torchvision's parameter names and shapes:
//   resnet20                      CIFAR-style: 3x3 stem, 3 stages of 3 basic blocks (16/32/64 channels),
//                                 1x1 conv + BN projection shortcuts (downsample.0/1), global pool, fc
//   resnet18, resnet34            basic blocks;  resnet50, resnet101  bottlenecks (stride on the 3x3, v1.5)
//   alexnet                       torchvision's AlexNet (features / avgpool(6x6) / classifier)
#include <memory>
#include <string>
#include <vector>

#include "layers/Module.h"

namespace fgq {

struct ModelOptions {
  int64_t inChannels = 3;
  int64_t numClasses = 1000;
  int64_t inputSize = 224;  // height = width; checked against what the model can take
  uint64_t seed = 0;        // initialization
};

std::unique_ptr<Module> createModel(const std::string& name, const ModelOptions& options);
std::vector<std::string> modelNames();

}  // namespace fgq

#include <functional>
#include <map>

#include "layers/models/AlexNet.h"
#include "layers/models/Models.h"
#include "layers/models/ResNet.h"

namespace fgq {
namespace {

using Factory = std::function<std::unique_ptr<Module>(const ModelOptions&)>;

Factory resnet(ResNetSpec spec) {
  return [spec](const ModelOptions& o) { return std::make_unique<ResNet>(spec, o); };
}

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table{
      {"resnet20", resnet({false, {3, 3, 3}, {16, 32, 64}, false})},
      {"resnet18", resnet({false, {2, 2, 2, 2}, {64, 128, 256, 512}, true})},
      {"resnet34", resnet({false, {3, 4, 6, 3}, {64, 128, 256, 512}, true})},
      {"resnet50", resnet({true, {3, 4, 6, 3}, {64, 128, 256, 512}, true})},
      {"resnet101", resnet({true, {3, 4, 23, 3}, {64, 128, 256, 512}, true})},
      {"alexnet", [](const ModelOptions& o) { return std::make_unique<AlexNet>(o); }},
  };
  return table;
}

}  // namespace

std::vector<std::string> modelNames() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories()) names.push_back(name);
  return names;
}

std::unique_ptr<Module> createModel(const std::string& name, const ModelOptions& options) {
  auto it = factories().find(name);
  if (it == factories().end()) {
    std::string known;
    for (const auto& n : modelNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown model '" + name + "' (known: " + known + ")");
  }
  return it->second(options);
}

}  // namespace fgq

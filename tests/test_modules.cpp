#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/Allocator.h"
#include "core/Random.h"
#include "layers/Modules.h"
#include "layers/models/Models.h"
#include "layers/onednn/TensorMemory.h"
#include "train/Sgd.h"

using namespace fgq;

TEST_CASE("models have torchvision's parameter and buffer names and shapes") {
  std::ifstream in(std::string(FGQ_GOLDEN_DIR) + "/torchvision_state_dicts.json");
  const nlohmann::json expected = nlohmann::json::parse(in);
  for (const auto& [name, tensors] : expected.items()) {
    INFO(name);
    auto model = createModel(name, {3, 1000, 224, 0});
    const auto dict = model->stateDict();
    CHECK(dict.size() == tensors.size());
    for (const auto& [tensorName, shape] : tensors.items()) {
      INFO(tensorName);
      REQUIRE(dict.count(tensorName) == 1);
      CHECK(dict.at(tensorName).shape().dims() == shape.get<std::vector<int64_t>>());
    }
  }
}

TEST_CASE("models take configurable input channels, classes and input size") {
  auto model = createModel("resnet18", {1, 7, 64, 0});
  model->eval();
  NoGradGuard noGrad;
  CHECK((*model)(Variable(Tensor::zeros({2, 1, 64, 64}))).shape() == Shape{2, 7});
  CHECK_THROWS_WITH_AS(createModel("alexnet", {3, 10, 100, 0}), doctest::Contains("alexnet input size 100"), Error);
  CHECK_THROWS_WITH_AS(createModel("resnet21", {}), doctest::Contains("unknown model 'resnet21' (known: alexnet"), Error);
}

TEST_CASE("loadStateDict names the file and tensor for missing, unexpected and misshapen entries") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  auto dict = model->stateDict();
  auto missing = dict;
  missing.erase("layer2.0.bn1.running_var");
  CHECK_THROWS_WITH_AS(model->loadStateDict(missing, "ckpt.safetensors"),
                       "ckpt.safetensors: missing tensor 'layer2.0.bn1.running_var' (expected shape [32])", Error);
  auto extra = dict;
  extra["fc2.weight"] = Tensor::zeros({1});
  CHECK_THROWS_WITH_AS(model->loadStateDict(extra, "ckpt.safetensors"), doctest::Contains("unexpected tensor 'fc2.weight'"),
                       Error);
  auto wrong = dict;
  wrong["fc.weight"] = Tensor::zeros({100, 64});
  const std::vector<float> before = model->stateDict().at("conv1.weight").toVector();
  wrong["conv1.weight"] = Tensor::zeros({16, 1, 3, 3});
  CHECK_THROWS_WITH_AS(model->loadStateDict(wrong, "ckpt.safetensors"),
                       "ckpt.safetensors: tensor 'fc.weight' has shape [100, 64], expected [10, 64]", Error);
  CHECK(model->stateDict().at("conv1.weight").toVector() == before);  // nothing applied
}

TEST_CASE("train and eval switch every descendant; dropout is identity in eval") {
  Random random(1);
  Sequential seq;
  seq.append(std::make_shared<Dropout>(0.5, random));
  seq.append(std::make_shared<Linear>(4, 2, random));
  seq.eval();
  for (auto& [name, module] : seq.namedModules()) CHECK_FALSE(module->isTraining());
  Tensor x = Tensor::full({3, 4}, 1.0);
  NoGradGuard noGrad;
  CHECK(seq.stateDict().size() == 2);
  CHECK(seq.namedParameters()[0].first == "1.weight");
  const auto a = seq(Variable(x)).tensor().toVector(), b = seq(Variable(x)).tensor().toVector();
  CHECK(a == b);
}

TEST_CASE("after the first training step, a step creates no primitive and maps no fresh memory") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  model->train();
  Sgd sgd(model->parameters(), SgdOptions{0.1, 0.9, 0, 0, false});
  Tensor x = Tensor::zeros({16, 1, 28, 28});
  Random(3).fillNormal(x, 0, 1);
  Tensor y = Tensor::zeros({16}, DType::kS64);
  auto step = [&] {
    sgd.zeroGrad();
    crossEntropy((*model)(Variable(x)), y).backward();
    sgd.step();
  };
  step();
  step();
  const int64_t primitives = onednn::primitivesCreated();
  const int64_t fresh = Allocator::instance().stats().freshAllocations;
  step();
  CHECK(onednn::primitivesCreated() == primitives);
  CHECK(Allocator::instance().stats().freshAllocations == fresh);
}

namespace {

// Records the shape of what passes through it.
struct ShapeRecorder : Module {
  Shape seen;
  Variable forward(const Variable& x) override {
    seen = x.shape();
    return x;
  }
};

}  // namespace

TEST_CASE("shape inference gives every layer's input and the output a forward pass produces") {
  struct Case {
    std::string arch;
    ModelOptions options;
  };
  // Small inputs (alexnet needs 224 for the 6x6 map its classifier takes).
  for (const Case& c : {Case{"resnet20", {1, 10, 28, 0}}, Case{"resnet18", {3, 7, 32, 0}}, Case{"resnet50", {3, 5, 32, 0}},
                        Case{"alexnet", {3, 4, 224, 0}}}) {
    INFO(c.arch);
    auto model = createModel(c.arch, c.options);
    const Shape image{c.options.inChannels, c.options.inputSize, c.options.inputSize};
    Module::LayerInputShapes inferred;
    const Shape out = model->inferShape(Shape{1, image[0], image[1], image[2]}, inferred);
    std::vector<std::pair<WeightedLayer*, std::shared_ptr<ShapeRecorder>>> recorders;
    for (auto& [name, module] : model->namedModules())
      if (auto* layer = dynamic_cast<WeightedLayer*>(module)) {
        recorders.emplace_back(layer, std::make_shared<ShapeRecorder>());
        layer->setInputQuantizer(recorders.back().second);
      }
    model->eval();
    NoGradGuard noGrad;
    CHECK(out == (*model)(Variable(Tensor::zeros(Shape{1, image[0], image[1], image[2]}))).shape());
    CHECK(inferred.size() == recorders.size());
    for (auto& [layer, recorder] : recorders) CHECK(inferred.at(layer) == recorder->seen);
    CHECK(layerInputShapes(*model, image).at(recorders.front().first) == Shape{1, image[0], image[1], image[2]});
  }
}

TEST_CASE("shape inference rejects an input a model cannot take") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  Module::LayerInputShapes inputs;
  CHECK_THROWS_AS(model->inferShape(Shape{1, 3, 28, 28}, inputs), Error);  // three channels into a 1-channel stem
}

// fgq against PyTorch on the tensors tests/golden/make_golden.py wrote (1e-4 relative, per tensor).
#include <doctest/doctest.h>

#include <cmath>

#include "GoldenWeights.h"
#include "autograd/Functions.h"
#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "layers/models/Models.h"
#include "layers/ops/Ops.h"
#include "train/Sgd.h"

using namespace fgq;

namespace {

constexpr double kTolerance = 1e-4;

TensorFile golden(const std::string& name) { return loadSafetensors(std::string(FGQ_GOLDEN_DIR) + "/" + name); }

void checkClose(const std::string& what, const Tensor& actual, const Tensor& expected, double tolerance = kTolerance) {
  const Comparison c = compare(actual, expected.reshape(actual.shape()));
  INFO(what << ": max |diff| " << c.maxAbsDiff << ", relative " << c.relative << " at element " << c.worstIndex);
  CHECK(c.relative <= tolerance);
}

std::map<std::string, Tensor> withPrefix(const TensorFile& file, const std::string& prefix) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = t;
  return out;
}

Tensor gather(const Tensor& t, const std::vector<int64_t>& idx) {
  const Tensor p = t.plain();
  Tensor out = Tensor::empty({static_cast<int64_t>(idx.size())});
  for (size_t j = 0; j < idx.size(); ++j) out.data<float>()[j] = p.data<float>()[idx[j]];
  return out;
}

struct StepResult {
  Variable logits, loss;
};

// One training step as the golden script runs it: train mode, cross-entropy, SGD with momentum and
// decay. Gradients stay on the parameters.
StepResult trainStep(Module& model, const TensorFile& g) {
  model.train();
  Sgd sgd(model.parameters(), SgdOptions{0.1, 0.9, 0.0, 5e-4, false});
  StepResult r;
  r.logits = model(Variable(g.tensors.at("input")));
  r.loss = crossEntropy(r.logits, g.tensors.at("targets"));
  r.loss.backward();
  sgd.step();
  return r;
}

}  // namespace

TEST_CASE("resnet20 matches PyTorch: logits, loss, every gradient, and one SGD step") {
  const TensorFile g = golden("resnet20_step.safetensors");
  auto model = createModel("resnet20", {1, 10, 28, 0});
  model->loadStateDict(withPrefix(g, "init."), "resnet20_step.safetensors");
  const StepResult r = trainStep(*model, g);
  checkClose("logits", r.logits.tensor(), g.tensors.at("logits"));
  checkClose("loss", r.loss.tensor(), g.tensors.at("loss"));
  for (const auto& [name, p] : model->namedParameters()) checkClose("grad " + name, p.grad(), g.tensors.at("grad." + name));
  const auto after = withPrefix(g, "step.");
  for (const auto& [name, t] : model->stateDict())
    if (t.dtype() == DType::kS64)
      CHECK(t.data<int64_t>()[0] == after.at(name).data<int64_t>()[0]);
    else
      checkClose("after step " + name, t, after.at(name));

  // Export for the reverse direction: make_golden.py --check-fgq loads this file into torch.
  model->eval();
  NoGradGuard noGrad;
  std::map<std::string, Tensor> exported = model->stateDict();
  exported["__input"] = g.tensors.at("input");
  exported["__logits"] = (*model)(Variable(g.tensors.at("input"))).tensor();
  saveSafetensors(std::string(FGQ_EXPORT_DIR) + "/fgq_resnet20_export.safetensors", exported);
}

TEST_CASE("resnet18 matches PyTorch: logits, loss, gradient sums and samples, one SGD step") {
  const TensorFile g = golden("resnet18_step.safetensors");
  auto model = createModel("resnet18", {3, 10, 64, 0});
  testing::fillWithFormula(*model);
  const StepResult r = trainStep(*model, g);
  checkClose("logits", r.logits.tensor(), g.tensors.at("logits"));
  checkClose("loss", r.loss.tensor(), g.tensors.at("loss"));
  for (const auto& [name, p] : model->namedParameters()) {
    const Tensor grad = p.grad().plain();
    const std::vector<float> values = grad.toVector();
    double sum = 0, sumSquares = 0;
    for (float v : values) {
      sum += v;
      sumSquares += static_cast<double>(v) * v;
    }
    const Tensor& expected = g.tensors.at("grad_sum." + name);
    INFO(name);
    CHECK(sumSquares == doctest::Approx(expected.data<double>()[1]).epsilon(kTolerance));
    const double scale = std::sqrt(expected.data<double>()[1]);
    CHECK(std::abs(sum - expected.data<double>()[0]) <= kTolerance * scale * std::sqrt(static_cast<double>(values.size())));
    checkClose("grad samples " + name, gather(grad, testing::sampleIndices(grad.numel())), g.tensors.at("grad_sample." + name));
  }
  for (const auto& [name, t] : model->stateDict())
    if (t.dtype() != DType::kS64)
      checkClose("after step " + name, gather(t, testing::sampleIndices(t.numel())), g.tensors.at("step_sample." + name));
}

TEST_CASE("resnet50 and alexnet forward outputs match PyTorch") {
  for (const std::string name : {"resnet50", "alexnet"}) {
    INFO(name);
    const TensorFile g = golden(name + "_forward.safetensors");
    auto model = createModel(name, {3, 1000, 224, 0});
    testing::fillWithFormula(*model);
    model->eval();
    NoGradGuard noGrad;
    checkClose(name + " logits", (*model)(Variable(g.tensors.at("input"))).tensor(), g.tensors.at("logits"));
  }
}

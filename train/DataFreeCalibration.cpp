#include "train/DataFreeCalibration.h"

#include <cmath>

#include "autograd/Functions.h"
#include "core/Random.h"
#include "layers/FrozenParameters.h"
#include "layers/Modules.h"
#include "train/Adam.h"

namespace fgq {
namespace {

// (channel moments - their targets)^2 weighted to be scale-free, averaged over channels.
Variable statisticsMismatch(const Variable& input, const BatchNorm2d& bn) {
  const int64_t c = bn.runningMean.numel();
  Tensor target = Tensor::empty({2, c}), weight = Tensor::empty({2, c});
  for (int64_t i = 0; i < c; ++i) {
    const double var = bn.runningVar.data<float>()[i] + bn.eps;
    target.data<float>()[i] = bn.runningMean.data<float>()[i];
    target.data<float>()[c + i] = bn.runningVar.data<float>()[i];
    weight.data<float>()[i] = static_cast<float>(1.0 / var);
    weight.data<float>()[c + i] = static_cast<float>(1.0 / (var * var));
  }
  const Variable d = sub(channelMoments(input), Variable(target));
  return scale(sum(mul(mul(d, d), Variable(weight))), 1.0 / static_cast<double>(c));
}

// Hooks every batch norm's input to add its mismatch to `terms` for as long as it lives, and unhooks them
// even when the synthesis throws: a hook left behind would write to a vector that no longer exists.
class MismatchObservers {
 public:
  MismatchObservers(Module& model, std::vector<Variable>& terms) {
    for (auto& [name, module] : model.namedModules())
      if (auto* bn = dynamic_cast<BatchNorm2d*>(module)) norms_.push_back(bn);
    FGQ_CHECK(!norms_.empty(), "data-free calibration needs a model with batch norms");
    for (BatchNorm2d* bn : norms_) bn->inputObserver = [&terms, bn](const Variable& x) { terms.push_back(statisticsMismatch(x, *bn)); };
  }
  ~MismatchObservers() {
    for (BatchNorm2d* bn : norms_) bn->inputObserver = nullptr;
  }
  MismatchObservers(const MismatchObservers&) = delete;
  MismatchObservers& operator=(const MismatchObservers&) = delete;

 private:
  std::vector<BatchNorm2d*> norms_;
};

}  // namespace

SynthesizedImages synthesizeImages(Module& model, const Shape& imageShape, const SynthesisOptions& o) {
  FrozenParameters frozen(model);  // the input is what trains
  std::vector<Variable> terms;
  const MismatchObservers observers(model, terms);

  Tensor start = Tensor::empty(Shape{o.images, imageShape[0], imageShape[1], imageShape[2]});
  Random random(o.seed);
  random.fillNormal(start, 0, 1);
  Variable x(start, true);
  Adam adam({x}, AdamOptions{o.lr});
  model.eval();
  SynthesizedImages out;
  for (int64_t step = 0; step < o.steps; ++step) {
    terms.clear();
    adam.zeroGrad();
    model(x);
    Variable loss = terms.front();
    for (size_t i = 1; i < terms.size(); ++i) loss = add(loss, terms[i]);
    if (step == 0) out.initialLoss = loss.tensor().itemAsDouble();
    out.finalLoss = loss.tensor().itemAsDouble();
    loss.backward();
    adam.step();
  }
  out.images = x.tensor().clone();
  return out;
}

}  // namespace fgq

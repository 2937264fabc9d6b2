#include "train/BatchNormDistillation.h"

#include <iostream>

#include "data/DataLoader.h"
#include "layers/FrozenParameters.h"
#include "layers/Modules.h"
#include "train/Adam.h"
#include "train/Distillation.h"
#include "train/EarlyStopping.h"
#include "train/Evaluate.h"
#include "train/Progress.h"

namespace fgq {
namespace {

// The batch norms' gamma and beta, thawed in `frozen`.
std::vector<Variable> thawAffine(Module& model, FrozenParameters& frozen) {
  std::vector<Variable> affine;
  for (auto& [name, module] : model.namedModules())
    if (auto* bn = dynamic_cast<BatchNorm2d*>(module))
      for (Variable* p : {&bn->weight, &bn->bias}) {
        frozen.thaw(*p);
        affine.push_back(*p);
      }
  return affine;
}

}  // namespace

BnDistillationResult distillBatchNorm(Module& student, Module& teacher, const Dataset& views, const std::vector<Tensor>& holdout,
                                      const BnDistillationOptions& o) {
  FrozenParameters frozen(student);
  const std::vector<Variable> affine = thawAffine(student, frozen);
  FGQ_CHECK(!affine.empty(), "batch-norm distillation needs a model with batch norms");
  Adam adam(affine, AdamOptions{o.lr});
  DataLoader loader(views, {o.batchSize, true, false, o.seed, 2, -1});
  student.eval();
  BnDistillationResult result;
  EarlyStopping stopping(o.patience);
  const HeldOut held = heldOut(teacher, holdout);
  result.startError = heldOutL1(student, held);
  if (!held.empty()) stopping.stop(result.startError, student);
  Progress bar(0, 1, o.steps, o.batchSize, "agreement");
  double errorSum = 0;
  int64_t epoch = 0, agreed = 0, seen = 0;
  loader.startEpoch(epoch);
  while (result.steps < o.steps) {
    std::optional<Batch> batch = loader.next();
    if (!batch) {
      loader.startEpoch(++epoch);
      continue;
    }
    adam.zeroGrad();
    DistillationForward d = distillationForward(student, teacher, batch->images);
    d.l1.backward();
    adam.step();
    errorSum += d.l1.tensor().itemAsDouble();
    agreed += countAgreements(d.logits.tensor(), d.teacherLogits);
    seen += batch->images.shape()[0];
    bar.update(result.steps, errorSum / static_cast<double>(result.steps + 1), 100.0 * static_cast<double>(agreed) / static_cast<double>(seen));
    ++result.steps;
    if (!held.empty() && (result.steps % o.evalEverySteps == 0 || result.steps == o.steps) && stopping.stop(heldOutL1(student, held), student))
      break;
  }
  bar.finish();
  stopping.restoreBest(student);
  result.bestError = held.empty() ? 0 : stopping.best();
  return result;
}

}  // namespace fgq

#include "train/ModelSource.h"

#include "interop/OnnxModel.h"
#include "layers/models/Models.h"
#include "train/Checkpoint.h"

namespace fgq {

std::unique_ptr<Module> buildModel(const ModelConfig& model) {
  if (model.arch == kOnnxArch) return loadOnnxModel(model.weights);
  return createModel(model.arch, model.options);
}

std::unique_ptr<Module> trainedModel(const ModelConfig& model, const std::string& weights) {
  if (model.arch == kOnnxArch) return loadOnnxModel(weights);
  std::unique_ptr<Module> m = createModel(model.arch, model.options);
  loadModel(weights, *m);
  return m;
}

}  // namespace fgq

#pragma once
// A Module owns named parameters (Variables that train), buffers (Tensors that do not, such as batch
// norm's running statistics) and child modules. Names are PyTorch's ("layer1.0.conv1.weight"), so a
// state dict moves between fgq and torch unchanged. Modules are not copyable: parameters are registered
// by address.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/Variable.h"
#include "layers/Graph.h"

namespace fgq {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Variable forward(const Variable& x) = 0;
  Variable operator()(const Variable& x) { return forward(x); }
  // Shape inference, computed without running the model: the output shape for an input of shape
  // `input`, recording in `layerInputs` the input shape each conv and inner product would see (what
  // cost accounting counts). The default is a shape-preserving module (batch norm, activations,
  // quantizers, dropout). Throws, as forward would, for an input the module cannot take.
  using LayerInputShapes = std::map<const Module*, Shape>;
  virtual Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const { return input; }
  // Appends what forward computes in evaluation to `graph` (layers/Graph.h), reading node `input`;
  // returns the node of the output. The default throws, naming the module's type.
  virtual int trace(Graph& graph, int input) const;

  void train(bool on = true);  // this module and every descendant
  void eval() { train(false); }
  bool isTraining() const { return training_; }

  std::vector<std::pair<std::string, Variable>> namedParameters() const;
  std::vector<Variable> parameters() const;
  std::vector<std::pair<std::string, Tensor*>> namedBuffers() const;
  std::vector<std::pair<std::string, Module*>> namedModules() const;  // descendants, depth first, "" is this
  void zeroGrad();
  // Reseeds every random layer (dropout) below this module from one seed, so a step's randomness is a
  // function of the seed the training loop passes, and a resumed run repeats it exactly.
  void reseed(uint64_t seed);

  // Parameters and buffers by name. The tensors share storage with the module.
  std::map<std::string, Tensor> stateDict() const;
  // Copies every entry into the module. Throws, naming `source` and the tensor, for a missing or
  // unexpected name or a shape that differs; nothing is changed unless everything fits.
  void loadStateDict(const std::map<std::string, Tensor>& dict, const std::string& source);

 protected:
  virtual void reseedSelf(uint64_t seed) {}
  void registerParameter(const std::string& name, Variable* parameter);
  void registerBuffer(const std::string& name, Tensor* buffer);
  template <typename M>
  std::shared_ptr<M> registerModule(const std::string& name, std::shared_ptr<M> module) {
    for (auto& [childName, child] : children_)
      if (childName == name) {
        child = module;  // re-registering a name replaces that child
        return module;
      }
    children_.emplace_back(name, module);
    return module;
  }

 private:
  std::vector<std::pair<std::string, Variable*>> parameters_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace fgq

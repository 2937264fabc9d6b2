#pragma once
// The interface the training loop drives: a set of parameters, a learning rate it may change each step,
// and per-parameter state, named "<kind>.<index>" so checkpoints can save and restore it exactly.
#include <map>
#include <string>
#include <vector>

#include "autograd/Variable.h"

namespace fgq {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Variable> parameters) : parameters_(std::move(parameters)) {}
  virtual ~Optimizer() = default;
  virtual void step() = 0;  // parameters without a gradient are left alone
  void zeroGrad() {
    for (auto& p : parameters_) p.zeroGrad();
  }
  double learningRate() const { return learningRate_; }
  void setLearningRate(double lr) { learningRate_ = lr; }

  virtual std::map<std::string, Tensor> state() const = 0;
  // Throws naming `source` when the state does not fit these parameters.
  virtual void loadState(const std::map<std::string, Tensor>& state, const std::string& source) = 0;

 protected:
  // Per-parameter tensors named "<kind>.<index>"; undefined entries (not yet used) are left out.
  static void saveSlots(std::map<std::string, Tensor>& out, const std::string& kind, const std::vector<Tensor>& slots);
  void loadSlots(const std::map<std::string, Tensor>& state, const std::string& kind, std::vector<Tensor>& slots,
                 const std::string& source) const;

  std::vector<Variable> parameters_;
  double learningRate_ = 0.0;
};

}  // namespace fgq

#pragma once
// The interface the training loop drives: a set of parameters, a learning rate it may change each step,
// and per-parameter state (named, so checkpoints can save and restore it).
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

 protected:
  std::vector<Variable> parameters_;
  double learningRate_ = 0.0;
};

}  // namespace fgq

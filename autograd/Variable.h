#pragma once
// Reverse-mode automatic differentiation on a tape, after flashlight's Variable. A Variable is a cheap
// handle: copies share the value, the gradient and the node that made it. An op computes its result and
// returns a Variable that remembers its inputs and a gradient function capturing only what backward
// needs. backward() orders the graph once and walks it in reverse, summing gradients where a value is
// used twice, and frees each node's inputs as soon as its gradient has been passed on.
#include <functional>
#include <memory>
#include <vector>

#include "core/Tensor.h"

namespace fgq {

class Variable {
 public:
  // Receives the op's inputs and the gradient of its output; adds gradients to the inputs (addGrad).
  using GradFn = std::function<void(std::vector<Variable>& inputs, const Tensor& gradOutput)>;

  Variable() = default;
  explicit Variable(Tensor value, bool requiresGrad = false);
  // The result of an op. Records inputs and gradFn only when gradients are enabled and some input
  // requires one.
  Variable(Tensor value, std::vector<Variable> inputs, GradFn gradFn);

  bool defined() const { return data_ != nullptr; }
  const Tensor& tensor() const { return data_->value; }
  Tensor& tensor() { return data_->value; }
  const Shape& shape() const { return data_->value.shape(); }
  DType dtype() const { return data_->value.dtype(); }

  bool requiresGrad() const { return data_->requiresGrad; }
  void setRequiresGrad(bool requiresGrad) { data_->requiresGrad = requiresGrad; }
  bool isLeaf() const { return !node_; }
  bool hasGrad() const { return data_->grad.defined(); }
  const Tensor& grad() const;  // throws if no gradient has arrived
  void addGrad(const Tensor& gradient);
  void zeroGrad() { data_->grad = Tensor(); }

  // Seeds d(this)/d(this) = gradOutput (ones for a scalar) and propagates to every leaf, calling
  // afterNode (when given) after each node has passed its gradient on: where data-parallel training
  // starts sending the gradients that are complete.
  using BackwardHook = std::function<void()>;
  void backward(const Tensor& gradOutput, const BackwardHook& afterNode = {});
  void backward(const BackwardHook& afterNode = {});

  Variable detach() const { return Variable(data_->value, false); }
  bool sameAs(const Variable& other) const { return data_ == other.data_; }

 private:
  struct Data {
    Tensor value;
    Tensor grad;
    bool requiresGrad = false;
  };
  struct Node {
    std::vector<Variable> inputs;
    GradFn gradFn;
  };
  std::shared_ptr<Data> data_;
  std::shared_ptr<Node> node_;
};

// While alive, ops record no graph on this thread (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

bool gradEnabled();

}  // namespace fgq

#include "autograd/Variable.h"

#include <unordered_set>

#include "core/TensorOps.h"

namespace fgq {
namespace {
thread_local bool tGradEnabled = true;
}

bool gradEnabled() { return tGradEnabled; }
NoGradGuard::NoGradGuard() : previous_(tGradEnabled) { tGradEnabled = false; }
NoGradGuard::~NoGradGuard() { tGradEnabled = previous_; }

Variable::Variable(Tensor value, bool requiresGrad) : data_(std::make_shared<Data>()) {
  data_->value = std::move(value);
  data_->requiresGrad = requiresGrad;
}

Variable::Variable(Tensor value, std::vector<Variable> inputs, GradFn gradFn) : Variable(std::move(value), false) {
  if (!tGradEnabled) return;
  bool anyRequiresGrad = false;
  for (const Variable& input : inputs) anyRequiresGrad = anyRequiresGrad || (input.defined() && input.requiresGrad());
  if (!anyRequiresGrad) return;
  data_->requiresGrad = true;
  node_ = std::make_shared<Node>(Node{std::move(inputs), std::move(gradFn)});
}

const Tensor& Variable::grad() const {
  FGQ_CHECK(data_->grad.defined(), "variable of shape " << shape().str() << " has no gradient");
  return data_->grad;
}

void Variable::addGrad(const Tensor& gradient) {
  if (!data_->requiresGrad) return;
  FGQ_CHECK(gradient.shape() == shape(),
            "gradient of shape " << gradient.shape().str() << " for a variable of shape " << shape().str());
  // Out of place: an op may hand the same gradient tensor to several inputs.
  data_->grad = data_->grad.defined() ? add(data_->grad, gradient) : gradient;
}

void Variable::backward(const BackwardHook& afterNode) {
  FGQ_CHECK(tensor().numel() == 1, "backward() without a gradient needs a scalar, found shape " << shape().str());
  backward(Tensor::full(shape(), 1.0, dtype()), afterNode);
}

void Variable::backward(const Tensor& gradOutput, const BackwardHook& afterNode) {
  FGQ_CHECK(requiresGrad(), "backward() on a variable that does not require a gradient");
  // Iterative depth-first post-order: children before parents, so the reverse visits each node after
  // every consumer of its output has contributed.
  std::vector<Variable> order;
  std::unordered_set<Data*> seen;
  std::vector<std::pair<Variable, size_t>> stack{{*this, 0}};
  seen.insert(data_.get());
  while (!stack.empty()) {
    auto& [var, next] = stack.back();
    static const std::vector<Variable> kNoInputs;
    const std::vector<Variable>& inputs = var.node_ ? var.node_->inputs : kNoInputs;
    if (next < inputs.size()) {
      const Variable& input = inputs[next++];
      if (input.defined() && input.requiresGrad() && seen.insert(input.data_.get()).second) stack.push_back({input, 0});
      continue;
    }
    order.push_back(var);
    stack.pop_back();
  }

  addGrad(gradOutput);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Variable& var = *it;
    if (!var.node_ || !var.hasGrad()) continue;
    var.node_->gradFn(var.node_->inputs, var.data_->grad);
    // The graph is used once: release what the node held, and the gradient of this intermediate.
    var.node_->inputs.clear();
    var.node_->gradFn = nullptr;
    var.data_->grad = Tensor();
    if (afterNode) afterNode();
  }
}

}  // namespace fgq

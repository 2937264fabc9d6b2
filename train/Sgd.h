#pragma once
// Stochastic gradient descent with PyTorch's exact update (torch.optim.SGD):
//   d = grad + weightDecay * p;  buf = d on the first step, else momentum * buf + (1 - dampening) * d;
//   d = nesterov ? d + momentum * buf : buf;  p -= lr * d.
#include "train/Optimizer.h"

namespace fgq {

struct SgdOptions {
  double learningRate = 0.1;
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Variable> parameters, const SgdOptions& options);
  void step() override;
  std::map<std::string, Tensor> state() const override;
  void loadState(const std::map<std::string, Tensor>& state, const std::string& source) override;

 private:
  SgdOptions options_;
  std::vector<Tensor> buffers_;
};

}  // namespace fgq

#pragma once
// Adam and AdamW with PyTorch's update (torch.optim.Adam / AdamW, amsgrad off):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  step = lr / (1 - b1^t);
//   p -= step * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Adam adds weightDecay * p to g (L2); AdamW multiplies p by (1 - lr * weightDecay) first (decoupled).
#include "train/Optimizer.h"

namespace fgq {

struct AdamOptions {
  double learningRate = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;
  bool decoupled = false;  // AdamW
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Variable> parameters, const AdamOptions& options);
  void step() override;
  std::map<std::string, Tensor> state() const override;
  void loadState(const std::map<std::string, Tensor>& state, const std::string& source) override;

 private:
  AdamOptions options_;
  std::vector<Tensor> m_, v_;
  std::vector<int64_t> steps_;
};

}  // namespace fgq

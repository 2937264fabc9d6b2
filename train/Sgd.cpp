#include "train/Sgd.h"

namespace fgq {

Sgd::Sgd(std::vector<Variable> parameters, const SgdOptions& options)
    : Optimizer(std::move(parameters)), options_(options), buffers_(parameters_.size()) {
  FGQ_CHECK(options.learningRate >= 0 && options.momentum >= 0 && options.weightDecay >= 0,
            "SGD needs non-negative lr, momentum and weight decay");
  FGQ_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
            "Nesterov momentum needs momentum > 0 and dampening 0");
  learningRate_ = options.learningRate;
}

void Sgd::step() {
  const float lr = static_cast<float>(learningRate_), wd = static_cast<float>(options_.weightDecay);
  const float momentum = static_cast<float>(options_.momentum), dampening = static_cast<float>(options_.dampening);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Variable& parameter = parameters_[i];
    if (!parameter.hasGrad()) continue;
    float* p = parameter.tensor().data<float>();
    const Tensor grad = parameter.grad().plain();
    const float* g = grad.data<float>();
    const int64_t n = parameter.tensor().numel();
    const bool first = !buffers_[i].defined();
    if (momentum > 0 && first) buffers_[i] = Tensor::empty(parameter.shape());
    float* buf = momentum > 0 ? buffers_[i].data<float>() : nullptr;
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t j = 0; j < n; ++j) {
      float d = g[j] + wd * p[j];
      if (buf) {
        buf[j] = first ? d : momentum * buf[j] + (1 - dampening) * d;
        d = options_.nesterov ? d + momentum * buf[j] : buf[j];
      }
      p[j] -= lr * d;
    }
  }
}

std::map<std::string, Tensor> Sgd::state() const {
  std::map<std::string, Tensor> out;
  saveSlots(out, "momentum_buffer", buffers_);
  return out;
}

void Sgd::loadState(const std::map<std::string, Tensor>& state, const std::string& source) {
  loadSlots(state, "momentum_buffer", buffers_, source);
}

}  // namespace fgq

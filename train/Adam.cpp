#include "train/Adam.h"

#include <cmath>

namespace fgq {

Adam::Adam(std::vector<Variable> parameters, const AdamOptions& options)
    : Optimizer(std::move(parameters)), options_(options), m_(parameters_.size()), v_(parameters_.size()),
      steps_(parameters_.size(), 0) {
  FGQ_CHECK(options.learningRate >= 0 && options.weightDecay >= 0 && options.eps > 0,
            "Adam needs lr >= 0, weight decay >= 0 and eps > 0");
  FGQ_CHECK(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1,
            "Adam betas must be in [0, 1), found " << options.beta1 << ", " << options.beta2);
  learningRate_ = options.learningRate;
}

void Adam::step() {
  const float lr = static_cast<float>(learningRate_), wd = static_cast<float>(options_.weightDecay);
  const float b1 = static_cast<float>(options_.beta1), b2 = static_cast<float>(options_.beta2);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Variable& parameter = parameters_[i];
    if (!parameter.hasGrad()) continue;
    if (!m_[i].defined()) {
      m_[i] = Tensor::zeros(parameter.shape());
      v_[i] = Tensor::zeros(parameter.shape());
    }
    const int64_t t = ++steps_[i];
    const float stepSize = static_cast<float>(learningRate_ / (1.0 - std::pow(options_.beta1, t)));
    const float biasCorrection2 = static_cast<float>(std::sqrt(1.0 - std::pow(options_.beta2, t)));
    const float eps = static_cast<float>(options_.eps);
    const bool decoupled = options_.decoupled;
    float* p = parameter.tensor().data<float>();
    const Tensor grad = parameter.grad().plain();
    const float* g = grad.data<float>();
    float* m = m_[i].data<float>();
    float* v = v_[i].data<float>();
    const int64_t n = parameter.tensor().numel();
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t j = 0; j < n; ++j) {
      float gj = g[j];
      if (decoupled)
        p[j] *= 1 - lr * wd;
      else
        gj += wd * p[j];
      m[j] = b1 * m[j] + (1 - b1) * gj;
      v[j] = b2 * v[j] + (1 - b2) * gj * gj;
      p[j] -= stepSize * m[j] / (std::sqrt(v[j]) / biasCorrection2 + eps);
    }
  }
}

std::map<std::string, Tensor> Adam::state() const {
  std::map<std::string, Tensor> out;
  saveSlots(out, "exp_avg", m_);
  saveSlots(out, "exp_avg_sq", v_);
  Tensor steps = Tensor::empty({static_cast<int64_t>(steps_.size())}, DType::kS64);
  std::copy(steps_.begin(), steps_.end(), steps.data<int64_t>());
  out["step"] = steps;
  return out;
}

void Adam::loadState(const std::map<std::string, Tensor>& state, const std::string& source) {
  loadSlots(state, "exp_avg", m_, source);
  loadSlots(state, "exp_avg_sq", v_, source);
  auto it = state.find("step");
  if (it == state.end() || it->second.numel() != static_cast<int64_t>(steps_.size()) || it->second.dtype() != DType::kS64)
    throw Error(source + ": Adam state needs 'step' with one s64 count per parameter (" + std::to_string(steps_.size()) + ")");
  std::copy_n(it->second.data<int64_t>(), steps_.size(), steps_.begin());
}

}  // namespace fgq

// Softmax cross-entropy, fused: the gradient is (softmax - target distribution) / N; and the L1 distance.
#include <cmath>

#include "layers/ops/Ops.h"
#include "layers/reference/Dispatch.h"

namespace fgq {

Variable crossEntropy(const Variable& logits, const Tensor& targets, double labelSmoothing) {
  const Shape& s = logits.shape();
  FGQ_CHECK(s.rank() == 2, "cross_entropy needs logits [N, K], found " << s.str());
  FGQ_CHECK(targets.shape() == Shape{s[0]} && targets.dtype() == DType::kS64,
            "cross_entropy needs s64 targets of shape [" << s[0] << "], found " << dtypeName(targets.dtype()) << " "
                                                         << targets.shape().str());
  FGQ_CHECK(labelSmoothing >= 0.0 && labelSmoothing < 1.0, "label smoothing must be in [0, 1), found " << labelSmoothing);
  const int64_t n = s[0], k = s[1];
  const int64_t* t = targets.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    FGQ_CHECK(t[i] >= 0 && t[i] < k, "cross_entropy target " << t[i] << " at row " << i << " outside [0, " << k << ")");

  const Tensor x = logits.tensor().plain();
  Tensor probabilities = Tensor::empty(s, x.dtype());
  double loss = 0;
  reference::visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* p = probabilities.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      const T* row = xd + i * k;
      double maxLogit = row[0], sumExp = 0, sumLogits = 0;
      for (int64_t j = 0; j < k; ++j) maxLogit = std::max(maxLogit, static_cast<double>(row[j]));
      for (int64_t j = 0; j < k; ++j) {
        sumExp += std::exp(row[j] - maxLogit);
        sumLogits += row[j];
      }
      const double logSumExp = maxLogit + std::log(sumExp);
      for (int64_t j = 0; j < k; ++j) p[i * k + j] = static_cast<T>(std::exp(row[j] - logSumExp));
      // -sum_j q_j log p_j with q = (1-e) onehot + e/K
      loss += (1.0 - labelSmoothing) * (logSumExp - row[t[i]]) + labelSmoothing * (logSumExp - sumLogits / k);
    }
  });

  return Variable(Tensor::full({1}, loss / n, x.dtype()), {logits},
                  [probabilities, targets, labelSmoothing](std::vector<Variable>& in, const Tensor& g) {
                    const Shape& s = probabilities.shape();
                    const int64_t n = s[0], k = s[1];
                    Tensor grad = Tensor::empty(s, probabilities.dtype());
                    const double scale = g.itemAsDouble() / n;
                    reference::visitFloat(grad.dtype(), [&](auto tag) {
                      using T = decltype(tag);
                      const T* p = probabilities.data<T>();
                      T* gd = grad.data<T>();
                      for (int64_t i = 0; i < n; ++i)
                        for (int64_t j = 0; j < k; ++j) {
                          const double q = labelSmoothing / k + (j == targets.data<int64_t>()[i] ? 1.0 - labelSmoothing : 0.0);
                          gd[i * k + j] = static_cast<T>(scale * (p[i * k + j] - q));
                        }
                    });
                    in[0].addGrad(grad);
                  });
}

Variable l1Loss(const Variable& x, const Tensor& targetIn) {
  FGQ_CHECK(x.shape() == targetIn.shape(), "l1 loss between " << x.shape().str() << " and " << targetIn.shape().str());
  const Tensor a = x.tensor().plain(), target = targetIn.plain().to(x.dtype());
  double sum = 0;
  reference::visitFloat(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < a.numel(); ++i) sum += std::abs(static_cast<double>(a.data<T>()[i]) - target.data<T>()[i]);
  });
  const double n = static_cast<double>(a.numel());
  return Variable(Tensor::full({1}, sum / n, a.dtype()), {x}, [a, target, n](std::vector<Variable>& in, const Tensor& g) {
    Tensor grad = Tensor::empty(a.shape(), a.dtype());
    const double scale = g.itemAsDouble() / n;
    reference::visitFloat(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < a.numel(); ++i) {
        const T d = a.data<T>()[i] - target.data<T>()[i];
        grad.data<T>()[i] = static_cast<T>(d > 0 ? scale : (d < 0 ? -scale : 0.0));
      }
    });
    in[0].addGrad(grad);
  });
}

}  // namespace fgq

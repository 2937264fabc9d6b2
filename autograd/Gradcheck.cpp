#include "autograd/Gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/Random.h"

namespace fgq {
namespace {

double elementAsDouble(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kF64 ? t.data<double>()[i] : t.data<float>()[i];
}

void setElement(Tensor& t, int64_t i, double v) {
  if (t.dtype() == DType::kF64)
    t.data<double>()[i] = v;
  else
    t.data<float>()[i] = static_cast<float>(v);
}

double projected(const Tensor& outputIn, const Tensor& weights) {
  const Tensor output = outputIn.to(DType::kF64);
  const double* o = output.data<double>();
  const double* w = weights.data<double>();
  double sum = 0;
  for (int64_t i = 0; i < output.numel(); ++i) sum += o[i] * w[i];
  return sum;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  std::vector<Variable> variables;
  for (const Tensor& t : inputs) variables.emplace_back(t.plain().clone(), true);
  Variable output = f(variables);

  Random random(1234);
  Tensor weights = Tensor::empty(output.shape(), DType::kF64);
  random.fillUniform(weights, -1.0, 1.0);
  output.backward(weights.to(output.dtype()));

  GradcheckResult result;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!options.checkInput.empty() && !options.checkInput[k]) continue;
    std::vector<Tensor> probe;
    for (const Variable& v : variables) probe.push_back(v.tensor().clone());
    const Tensor analytic = variables[k].hasGrad() ? variables[k].grad().plain() : Tensor::zeros(inputs[k].shape(), inputs[k].dtype());
    Tensor& x = probe[k];
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double original = elementAsDouble(x, i);
      auto evaluate = [&](double value) {
        setElement(x, i, value);
        std::vector<Variable> args;
        for (const Tensor& t : probe) args.emplace_back(t, false);
        NoGradGuard noGrad;
        return projected(f(args).tensor(), weights);
      };
      const double numeric = (evaluate(original + options.eps) - evaluate(original - options.eps)) / (2 * options.eps);
      setElement(x, i, original);
      const double a = elementAsDouble(analytic, i);
      const double error = std::abs(a - numeric) / (options.absTolerance + options.relTolerance * std::abs(numeric));
      if (error > result.worstError || std::isnan(error)) {
        result.worstError = std::isnan(error) ? INFINITY : error;
        std::ostringstream s;
        s << "input " << k << " element " << i << ": analytic " << a << ", numeric " << numeric;
        result.worst = s.str();
      }
    }
  }
  result.ok = result.worstError <= 1.0;
  return result;
}

}  // namespace fgq

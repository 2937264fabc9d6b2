#pragma once
// Finite-difference check of an op's backward. The output is reduced to a scalar with fixed random
// weights, L = sum(w * f(x)), accumulated in double; each input element is moved by +-eps and the
// central difference (L+ - L-) / 2eps is compared with the analytic gradient from backward().
// Pass f64 inputs to run the op in double precision (ops use their plain-loop reference there);
// f32 inputs check the production kernels, with a larger eps and tolerance.
#include <functional>
#include <string>
#include <vector>

#include "autograd/Variable.h"

namespace fgq {

struct GradcheckOptions {
  double eps = 1e-6;
  double absTolerance = 1e-7;
  double relTolerance = 1e-5;
  std::vector<bool> checkInput;  // empty: every input; else one flag per input
};

struct GradcheckResult {
  bool ok = true;
  double worstError = 0;  // largest |analytic - numeric| / (absTolerance + relTolerance * |numeric|)
  std::string worst;      // which input and element, with both values
};

using GradcheckFn = std::function<Variable(const std::vector<Variable>&)>;

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace fgq

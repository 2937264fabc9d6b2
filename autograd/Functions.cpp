#include "autograd/Functions.h"

#include "core/TensorOps.h"

namespace fgq {

Variable add(const Variable& a, const Variable& b) {
  return Variable(add(a.tensor(), b.tensor()), {a, b}, [](std::vector<Variable>& in, const Tensor& g) {
    in[0].addGrad(g);
    in[1].addGrad(g);
  });
}

Variable sub(const Variable& a, const Variable& b) {
  return Variable(sub(a.tensor(), b.tensor()), {a, b}, [](std::vector<Variable>& in, const Tensor& g) {
    in[0].addGrad(g);
    in[1].addGrad(scale(g, -1.0));
  });
}

Variable mul(const Variable& a, const Variable& b) {
  return Variable(mul(a.tensor(), b.tensor()), {a, b}, [](std::vector<Variable>& in, const Tensor& g) {
    if (in[0].requiresGrad()) in[0].addGrad(mul(g, in[1].tensor()));
    if (in[1].requiresGrad()) in[1].addGrad(mul(g, in[0].tensor()));
  });
}

Variable scale(const Variable& a, double factor) {
  return Variable(scale(a.tensor(), factor), {a},
                  [factor](std::vector<Variable>& in, const Tensor& g) { in[0].addGrad(scale(g, factor)); });
}

Variable sum(const Variable& a) {
  const DType dtype = a.dtype();
  return Variable(Tensor::full({1}, sumAll(a.tensor()), dtype), {a}, [](std::vector<Variable>& in, const Tensor& g) {
    in[0].addGrad(Tensor::full(in[0].shape(), g.itemAsDouble(), in[0].dtype()));
  });
}

Variable mean(const Variable& a) { return scale(sum(a), 1.0 / static_cast<double>(a.tensor().numel())); }

Variable reshape(const Variable& a, const Shape& shape) {
  const Shape original = a.shape();
  return Variable(a.tensor().plain().reshape(shape), {a}, [original](std::vector<Variable>& in, const Tensor& g) {
    in[0].addGrad(g.plain().reshape(original));
  });
}

Variable flatten(const Variable& a) {
  const Shape& s = a.shape();
  return reshape(a, Shape{s[0], a.tensor().numel() / s[0]});
}

}  // namespace fgq

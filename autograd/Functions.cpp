#include "autograd/Functions.h"

#include <vector>

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

namespace {

template <typename T>
void moments(const Tensor& x, T* mean, T* var) {
  const int64_t n = x.dim(0), c = x.dim(1), inner = x.numel() / (n * c);
  const T* v = x.data<T>();
  const double count = static_cast<double>(n * inner);
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < c; ++ch) {
    double s = 0, ss = 0;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) s += v[(b * c + ch) * inner + i];
    const double m = s / count;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < inner; ++i) ss += (v[(b * c + ch) * inner + i] - m) * (v[(b * c + ch) * inner + i] - m);
    mean[ch] = static_cast<T>(m);
    var[ch] = static_cast<T>(ss / count);
  }
}

// d mean_c / dx = 1 / M and d var_c / dx = 2 (x - mean_c) / M over the channel's M values.
template <typename T>
void momentsBackward(const Tensor& x, const Tensor& g, Tensor& gx) {
  const int64_t n = x.dim(0), c = x.dim(1), inner = x.numel() / (n * c);
  std::vector<T> mean(c), var(c);
  moments<T>(x, mean.data(), var.data());
  const double count = static_cast<double>(n * inner);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (b * c + ch) * inner + i;
        gx.data<T>()[at] = static_cast<T>((g.data<T>()[ch] + 2.0 * g.data<T>()[c + ch] * (x.data<T>()[at] - mean[ch])) / count);
      }
}

}  // namespace

Variable channelMoments(const Variable& a) {
  const Tensor x = a.tensor().plain();
  FGQ_CHECK(x.shape().rank() >= 2, "channel moments of a tensor of shape " << x.shape().str());
  Tensor out = Tensor::empty({2, x.dim(1)}, x.dtype());
  if (x.dtype() == DType::kF64)
    moments<double>(x, out.data<double>(), out.data<double>() + x.dim(1));
  else
    moments<float>(x, out.data<float>(), out.data<float>() + x.dim(1));
  return Variable(out, {a}, [x](std::vector<Variable>& in, const Tensor& gIn) {
    const Tensor g = gIn.plain();
    Tensor gx = Tensor::empty(x.shape(), x.dtype());
    if (x.dtype() == DType::kF64)
      momentsBackward<double>(x, g, gx);
    else
      momentsBackward<float>(x, g, gx);
    in[0].addGrad(gx);
  });
}

}  // namespace fgq

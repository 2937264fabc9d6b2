#include <cmath>

#include "layers/reference/Dispatch.h"
#include "layers/reference/Reference.h"

namespace fgq::reference {
namespace {

struct Extents {
  int64_t n, c, plane;
  int64_t index(int64_t in, int64_t ic, int64_t i) const { return (in * c + ic) * plane + i; }
};

Extents extentsOf(const Shape& s) { return {s[0], s[1], s[2] * s[3]}; }

}  // namespace

BatchNormResult batchNormForward(const Tensor& xIn, const Tensor& gammaIn, const Tensor& betaIn, const Tensor* meanIn,
                                 const Tensor* varianceIn, double eps) {
  const Tensor x = xIn.plain(), gamma = gammaIn.plain(), beta = betaIn.plain();
  const Extents e = extentsOf(x.shape());
  BatchNormResult r{Tensor::empty(x.shape(), x.dtype()), Tensor::zeros({e.c}, x.dtype()), Tensor::zeros({e.c}, x.dtype())};
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T *yd = r.y.data<T>(), *mean = r.mean.data<T>(), *var = r.variance.data<T>();
    const double count = static_cast<double>(e.n * e.plane);
    for (int64_t c = 0; c < e.c; ++c) {
      double m, v;
      if (meanIn) {
        m = meanIn->to(x.dtype()).data<T>()[c];
        v = varianceIn->to(x.dtype()).data<T>()[c];
      } else {
        double s = 0, s2 = 0;
        for (int64_t n = 0; n < e.n; ++n)
          for (int64_t i = 0; i < e.plane; ++i) s += xd[e.index(n, c, i)];
        m = s / count;
        for (int64_t n = 0; n < e.n; ++n)
          for (int64_t i = 0; i < e.plane; ++i) s2 += (xd[e.index(n, c, i)] - m) * (xd[e.index(n, c, i)] - m);
        v = s2 / count;
      }
      mean[c] = static_cast<T>(m);
      var[c] = static_cast<T>(v);
      const double invStd = 1.0 / std::sqrt(v + eps);
      for (int64_t n = 0; n < e.n; ++n)
        for (int64_t i = 0; i < e.plane; ++i) {
          const int64_t j = e.index(n, c, i);
          yd[j] = static_cast<T>((xd[j] - m) * invStd * gamma.data<T>()[c] + beta.data<T>()[c]);
        }
    }
  });
  return r;
}

BatchNormGrads batchNormBackward(const Tensor& gyIn, const Tensor& xIn, const Tensor& gammaIn, const Tensor& meanIn,
                                 const Tensor& varianceIn, double eps, bool training) {
  const Tensor gy = gyIn.plain(), x = xIn.plain();
  const Tensor gamma = gammaIn.to(x.dtype()), mean = meanIn.to(x.dtype()), variance = varianceIn.to(x.dtype());
  const Extents e = extentsOf(x.shape());
  BatchNormGrads g{Tensor::empty(x.shape(), x.dtype()), Tensor::zeros({e.c}, x.dtype()), Tensor::zeros({e.c}, x.dtype())};
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *xd = x.data<T>(), *gyd = gy.data<T>();
    T* gxd = g.gx.data<T>();
    const double count = static_cast<double>(e.n * e.plane);
    for (int64_t c = 0; c < e.c; ++c) {
      const double m = mean.data<T>()[c], invStd = 1.0 / std::sqrt(variance.data<T>()[c] + eps);
      double sumGy = 0, sumGyXhat = 0;
      for (int64_t n = 0; n < e.n; ++n)
        for (int64_t i = 0; i < e.plane; ++i) {
          const int64_t j = e.index(n, c, i);
          sumGy += gyd[j];
          sumGyXhat += gyd[j] * (xd[j] - m) * invStd;
        }
      g.gBeta.data<T>()[c] = static_cast<T>(sumGy);
      g.gGamma.data<T>()[c] = static_cast<T>(sumGyXhat);
      const double scale = gamma.data<T>()[c] * invStd;
      for (int64_t n = 0; n < e.n; ++n)
        for (int64_t i = 0; i < e.plane; ++i) {
          const int64_t j = e.index(n, c, i);
          const double xhat = (xd[j] - m) * invStd;
          const double d = training ? gyd[j] - sumGy / count - xhat * sumGyXhat / count : gyd[j];
          gxd[j] = static_cast<T>(scale * d);
        }
    }
  });
  return g;
}

Tensor reluForward(const Tensor& xIn) {
  const Tensor x = xIn.plain();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.numel(); ++i) y.data<T>()[i] = x.data<T>()[i] > 0 ? x.data<T>()[i] : T(0);
  });
  return y;
}

Tensor reluBackward(const Tensor& gyIn, const Tensor& xIn) {
  const Tensor gy = gyIn.plain(), x = xIn.plain();
  Tensor gx = Tensor::empty(x.shape(), x.dtype());
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < x.numel(); ++i) gx.data<T>()[i] = x.data<T>()[i] > 0 ? gy.data<T>()[i] : T(0);
  });
  return gx;
}

}  // namespace fgq::reference

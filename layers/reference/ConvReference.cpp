#include "layers/reference/Dispatch.h"
#include "layers/reference/Reference.h"

namespace fgq::reference {
namespace {

// Visits every (input element, weight element, output element) triple of a convolution.
template <typename Visit>
void forEachTap(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dParams& p, Visit&& visit) {
  const int64_t groups = p.groups, kPerGroup = ws[0] / groups, cPerGroup = ws[1];
  for (int64_t n = 0; n < ys[0]; ++n)
    for (int64_t k = 0; k < ys[1]; ++k)
      for (int64_t oh = 0; oh < ys[2]; ++oh)
        for (int64_t ow = 0; ow < ys[3]; ++ow) {
          const int64_t yi = ((n * ys[1] + k) * ys[2] + oh) * ys[3] + ow;
          const int64_t g = k / kPerGroup;
          for (int64_t c = 0; c < cPerGroup; ++c)
            for (int64_t r = 0; r < ws[2]; ++r) {
              const int64_t ih = oh * p.stride[0] - p.padding[0] + r * p.dilation[0];
              if (ih < 0 || ih >= xs[2]) continue;
              for (int64_t s = 0; s < ws[3]; ++s) {
                const int64_t iw = ow * p.stride[1] - p.padding[1] + s * p.dilation[1];
                if (iw < 0 || iw >= xs[3]) continue;
                const int64_t xi = ((n * xs[1] + g * cPerGroup + c) * xs[2] + ih) * xs[3] + iw;
                const int64_t wi = ((k * ws[1] + c) * ws[2] + r) * ws[3] + s;
                visit(xi, wi, yi);
              }
            }
        }
}

}  // namespace

Tensor convForward(const Tensor& xIn, const Tensor& wIn, const Tensor& bIn, const Conv2dParams& p) {
  const Tensor x = xIn.plain(), w = wIn.plain();
  const Shape ys = conv2dOutputShape(x.shape(), w.shape(), p);
  Tensor y = Tensor::zeros(ys, x.dtype());
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *xd = x.data<T>(), *wd = w.data<T>();
    T* yd = y.data<T>();
    forEachTap(x.shape(), w.shape(), ys, p, [&](int64_t xi, int64_t wi, int64_t yi) { yd[yi] += xd[xi] * wd[wi]; });
    if (bIn.defined()) {
      const Tensor b = bIn.plain();
      const int64_t plane = ys[2] * ys[3];
      for (int64_t i = 0; i < y.numel(); ++i) yd[i] += b.data<T>()[(i / plane) % ys[1]];
    }
  });
  return y;
}

Tensor convBackwardData(const Tensor& gyIn, const Tensor& wIn, const Shape& xShape, const Conv2dParams& p) {
  const Tensor gy = gyIn.plain(), w = wIn.plain();
  Tensor gx = Tensor::zeros(xShape, gy.dtype());
  visitFloat(gy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *gyd = gy.data<T>(), *wd = w.data<T>();
    T* gxd = gx.data<T>();
    forEachTap(xShape, w.shape(), gy.shape(), p, [&](int64_t xi, int64_t wi, int64_t yi) { gxd[xi] += gyd[yi] * wd[wi]; });
  });
  return gx;
}

Tensor convBackwardWeights(const Tensor& gyIn, const Tensor& xIn, const Shape& wShape, const Conv2dParams& p) {
  const Tensor gy = gyIn.plain(), x = xIn.plain();
  Tensor gw = Tensor::zeros(wShape, gy.dtype());
  visitFloat(gy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *gyd = gy.data<T>(), *xd = x.data<T>();
    T* gwd = gw.data<T>();
    forEachTap(x.shape(), wShape, gy.shape(), p, [&](int64_t xi, int64_t wi, int64_t yi) { gwd[wi] += gyd[yi] * xd[xi]; });
  });
  return gw;
}

Tensor biasBackward(const Tensor& gyIn) {
  const Tensor gy = gyIn.plain();
  const Shape& s = gy.shape();
  const int64_t channels = s[1], inner = gy.numel() / (s[0] * channels);
  Tensor gb = Tensor::zeros({channels}, gy.dtype());
  visitFloat(gy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* g = gy.data<T>();
    T* b = gb.data<T>();
    for (int64_t i = 0; i < gy.numel(); ++i) b[(i / inner) % channels] += g[i];
  });
  return gb;
}

Tensor linearForward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  FGQ_CHECK(xs.rank() == 2 && ws.rank() == 2 && xs[1] == ws[1],
            "linear input " << xs.str() << " does not fit weight " << ws.str());
  return convForward(x.plain().reshape({xs[0], xs[1], 1, 1}), w.plain().reshape({ws[0], ws[1], 1, 1}), b, {})
      .reshape({xs[0], ws[0]});
}

Tensor linearBackwardData(const Tensor& gy, const Tensor& w) {
  const Shape& ws = w.shape();
  return convBackwardData(gy.plain().reshape({gy.dim(0), ws[0], 1, 1}), w.plain().reshape({ws[0], ws[1], 1, 1}),
                          {gy.dim(0), ws[1], 1, 1}, {})
      .reshape({gy.dim(0), ws[1]});
}

Tensor linearBackwardWeights(const Tensor& gy, const Tensor& x) {
  const Shape& xs = x.shape();
  return convBackwardWeights(gy.plain().reshape({xs[0], gy.dim(1), 1, 1}), x.plain().reshape({xs[0], xs[1], 1, 1}),
                             {gy.dim(1), xs[1], 1, 1}, {})
      .reshape({gy.dim(1), xs[1]});
}

}  // namespace fgq::reference

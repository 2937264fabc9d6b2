#include <limits>

#include "layers/reference/Dispatch.h"
#include "layers/reference/Reference.h"

namespace fgq::reference {
namespace {

// Calls visit(outputIndex, inputIndices) for every output, with the in-bounds inputs of its window.
template <typename Visit>
void forEachWindow(const Shape& xs, const Shape& ys, const Pool2dParams& p, Visit&& visit) {
  std::vector<int64_t> window;
  for (int64_t nc = 0; nc < ys[0] * ys[1]; ++nc)
    for (int64_t oh = 0; oh < ys[2]; ++oh)
      for (int64_t ow = 0; ow < ys[3]; ++ow) {
        window.clear();
        for (int64_t r = 0; r < p.kernel[0]; ++r)
          for (int64_t s = 0; s < p.kernel[1]; ++s) {
            const int64_t ih = oh * p.stride[0] - p.padding[0] + r, iw = ow * p.stride[1] - p.padding[1] + s;
            if (ih >= 0 && ih < xs[2] && iw >= 0 && iw < xs[3]) window.push_back((nc * xs[2] + ih) * xs[3] + iw);
          }
        visit((nc * ys[2] + oh) * ys[3] + ow, window);
      }
}

template <typename T>
int64_t argmax(const T* x, const std::vector<int64_t>& window) {
  int64_t best = window.front();
  for (int64_t i : window)
    if (x[i] > x[best]) best = i;
  return best;
}

}  // namespace

Tensor poolForward(const Tensor& xIn, PoolKind kind, const Pool2dParams& p) {
  const Tensor x = xIn.plain();
  const Shape ys = pool2dOutputShape(x.shape(), p);
  Tensor y = Tensor::empty(ys, x.dtype());
  const double area = static_cast<double>(p.kernel[0] * p.kernel[1]);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    forEachWindow(x.shape(), ys, p, [&](int64_t yi, const std::vector<int64_t>& window) {
      if (kind == PoolKind::kMax) {
        yd[yi] = xd[argmax(xd, window)];
      } else {
        double s = 0;
        for (int64_t i : window) s += xd[i];
        yd[yi] = static_cast<T>(s / area);
      }
    });
  });
  return y;
}

Tensor poolBackward(const Tensor& gyIn, const Tensor& xIn, PoolKind kind, const Pool2dParams& p) {
  const Tensor gy = gyIn.plain(), x = xIn.plain();
  Tensor gx = Tensor::zeros(x.shape(), x.dtype());
  const double area = static_cast<double>(p.kernel[0] * p.kernel[1]);
  visitFloat(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *xd = x.data<T>(), *gyd = gy.data<T>();
    T* gxd = gx.data<T>();
    forEachWindow(x.shape(), gy.shape(), p, [&](int64_t yi, const std::vector<int64_t>& window) {
      if (kind == PoolKind::kMax)
        gxd[argmax(xd, window)] += gyd[yi];
      else
        for (int64_t i : window) gxd[i] += static_cast<T>(gyd[yi] / area);
    });
  });
  return gx;
}

}  // namespace fgq::reference

#include "layers/ops/Params.h"

#include "core/Error.h"

namespace fgq {
namespace {
std::string pairStr(const Pair& p) { return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")"; }

int64_t outputExtent(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  return (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}
}  // namespace

std::string Conv2dParams::str() const {
  return "stride " + pairStr(stride) + ", padding " + pairStr(padding) + ", dilation " + pairStr(dilation) +
         ", groups " + std::to_string(groups);
}

std::string Pool2dParams::str() const {
  return "kernel " + pairStr(kernel) + ", stride " + pairStr(stride) + ", padding " + pairStr(padding);
}

Shape conv2dOutputShape(const Shape& x, const Shape& w, const Conv2dParams& p) {
  FGQ_CHECK(x.rank() == 4 && w.rank() == 4, "conv2d needs input [N, C, H, W] and weight [K, C/groups, R, S], found "
                                                 << x.str() << " and " << w.str());
  FGQ_CHECK(p.groups >= 1 && x[1] % p.groups == 0 && w[0] % p.groups == 0 && x[1] / p.groups == w[1],
            "conv2d input " << x.str() << " does not fit weight " << w.str() << " with " << p.groups << " groups");
  for (int i = 0; i < 2; ++i)
    FGQ_CHECK(p.stride[i] >= 1 && p.dilation[i] >= 1 && p.padding[i] >= 0, "conv2d with " << p.str());
  const int64_t h = outputExtent(x[2], w[2], p.stride[0], p.padding[0], p.dilation[0]);
  const int64_t wd = outputExtent(x[3], w[3], p.stride[1], p.padding[1], p.dilation[1]);
  FGQ_CHECK(h >= 1 && wd >= 1, "conv2d input " << x.str() << " is smaller than kernel " << w.str() << " with " << p.str());
  return Shape{x[0], w[0], h, wd};
}

Shape pool2dOutputShape(const Shape& x, const Pool2dParams& p) {
  FGQ_CHECK(x.rank() == 4, "pooling needs input [N, C, H, W], found " << x.str());
  for (int i = 0; i < 2; ++i)
    FGQ_CHECK(p.kernel[i] >= 1 && p.stride[i] >= 1 && p.padding[i] >= 0 && 2 * p.padding[i] <= p.kernel[i],
              "pooling with " << p.str() << " (padding must be at most half the kernel)");
  const int64_t h = outputExtent(x[2], p.kernel[0], p.stride[0], p.padding[0], 1);
  const int64_t w = outputExtent(x[3], p.kernel[1], p.stride[1], p.padding[1], 1);
  FGQ_CHECK(h >= 1 && w >= 1, "pooling input " << x.str() << " is smaller than the window, " << p.str());
  return Shape{x[0], x[1], h, w};
}

}  // namespace fgq

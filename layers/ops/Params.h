#pragma once
// Geometry of convolution and pooling, shared by the oneDNN ops and their plain-loop references.
// Sizes follow PyTorch (floor mode, symmetric zero padding); pairs are (height, width).
#include <array>
#include <string>

#include "core/Shape.h"

namespace fgq {

using Pair = std::array<int64_t, 2>;

struct Conv2dParams {
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  int64_t groups = 1;
  std::string str() const;
};

// Output shape of x [N, C, H, W] convolved with w [K, C/groups, R, S]; throws naming both shapes.
Shape conv2dOutputShape(const Shape& x, const Shape& w, const Conv2dParams& p);

struct Pool2dParams {
  Pair kernel{1, 1};
  Pair stride{1, 1};
  Pair padding{0, 0};
  std::string str() const;
};

Shape pool2dOutputShape(const Shape& x, const Pool2dParams& p);

}  // namespace fgq

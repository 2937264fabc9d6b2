#pragma once
// What calibration learns of an activation from a pass over images: its largest magnitude and its
// smallest value (below zero or not decides a signed or unsigned window).
#include "core/Tensor.h"

namespace fgq {

// An activation's f32 values in some order, for statistics that ignore order (ranges, histograms): a
// blocked layout is read in place unless it pads, which would add values.
Tensor valuesInAnyOrder(const Tensor& activation);

struct ValueRange {
  double maxAbs = 0, min = 0;
  void observe(const Tensor& activation);  // any layout; two threads
};

}  // namespace fgq

#pragma once
// Preparing a model for variable bit-depth compression (methods.md, section 2.5): a VBD quantizer on
// every weight and every conv / inner-product input, its exponent E initialized from the tensor's
// range. Batch norm is folded first (layers/BatchNormFolding.h).
#include <vector>

#include "quant/VbdQuantizer.h"

namespace fgq {

struct VbdOptions {
  double initialBits = 8;
  double edgeBits = 12;  // the network's input activations and the last layer's weights start here
};

// Installs the quantizers, E from each input's range on the calibration batches (the FP32 model's).
void installVbd(Module& model, const std::vector<Tensor>& batches, const VbdOptions& options);

}  // namespace fgq

#pragma once
// A graph transform: every batch norm folded into the conv just before it, for models that compute with
// the conv alone (VBD quantizes the folded weight, methods.md section 2.5).
#include <vector>

#include "layers/Module.h"

namespace fgq {

class BatchNorm2d;

// Per output channel, what a batch norm does to the conv before it (the conv's bias, if defined,
// included): y = scale * (conv without bias) + shift, with scale = gamma / sqrt(var + eps) and
// shift = scale * (bias - mean) + beta, in double.
struct ChannelAffine {
  std::vector<double> scale, shift;
};
ChannelAffine batchNormAffine(const BatchNorm2d& bn, const Variable& convBias);

// w *= gamma / sqrt(var + eps) per output channel, and the conv's bias takes the shift; each folded
// batch norm becomes an exact identity in evaluation mode, and the model must stay in evaluation mode.
void foldBatchNorm(Module& model);

}  // namespace fgq

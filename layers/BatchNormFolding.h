#pragma once
// A graph transform: every batch norm folded into the conv just before it, for models that compute with
// the conv alone (VBD quantizes the folded weight, methods.md section 2.5).
#include "layers/Module.h"

namespace fgq {

// w *= gamma / sqrt(var + eps) per output channel, and the conv's bias takes the shift; each folded
// batch norm becomes an exact identity in evaluation mode, and the model must stay in evaluation mode.
void foldBatchNorm(Module& model);

}  // namespace fgq

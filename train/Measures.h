#pragma once
// The measures every report uses (methods.md, section 3), for a model on an evaluation set: Top-1,
// Top-5 and loss; with the FP32 teacher also the teacher's Top-1, the drop, top-1 agreement, mean
// |logit difference|, the cost account (multiplications eliminated, bits, bytes), and the model's speed.
#include <nlohmann/json.hpp>

#include "data/DataLoader.h"
#include "layers/Module.h"

namespace fgq {

// `accounted`: the model the cost account reads when `model` computes it another way (the integer engine).
nlohmann::json measureModel(Module& model, Module* teacher, DataLoader& evalLoader, const Shape& imageShape, Module* accounted = nullptr);

// The process's peak resident memory so far, for run summaries.
int64_t peakResidentBytes();

}  // namespace fgq

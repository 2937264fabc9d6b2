#pragma once
// The deterministic weights shared with tests/golden/make_golden.py (formula_tensor): every parameter
// and buffer is a function of its name and element index, so large models need no stored weights.
#include "layers/Module.h"

namespace fgq::testing {

Tensor formulaTensor(const std::string& name, const Shape& shape, DType dtype);
void fillWithFormula(Module& model);
std::vector<int64_t> sampleIndices(int64_t n);  // the 64 elements the golden files sample

}  // namespace fgq::testing

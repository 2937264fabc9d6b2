#pragma once
// A layer's weights as a file stores them, fixed: its codes and scales in any format of the format
// table, and the values they decode to, which the layer computes with (a loaded VBD export). What reads
// the file's own numbers (the ONNX export) finds them here.
#include "layers/Module.h"
#include "quant/QuantizedWeights.h"

namespace fgq {

class StoredWeights : public Module {
 public:
  explicit StoredWeights(QuantizedWeights weights) : weights_(std::move(weights)), values_(weights_.dequantize()) {}
  Variable forward(const Variable&) override { return Variable(values_); }
  const QuantizedWeights& weights() const { return weights_; }

 private:
  QuantizedWeights weights_;
  Tensor values_;
};

}  // namespace fgq

#pragma once
// A layer's weights as a file stores them: its codes and scales in any format of the format table (a
// loaded VBD export), kept beside the layer's weight, which holds the values they decode to and is what
// the layer computes with. What reads the file's own numbers (the ONNX export) finds them here.
#include "layers/Module.h"
#include "quant/QuantizedWeights.h"

namespace fgq {

class StoredWeights : public Module {
 public:
  explicit StoredWeights(QuantizedWeights weights) : weights_(std::move(weights)) {}
  Variable forward(const Variable& weight) override { return weight; }
  const QuantizedWeights& weights() const { return weights_; }

 private:
  QuantizedWeights weights_;
};

}  // namespace fgq

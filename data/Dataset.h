#pragma once
// A dataset of labelled images. get() decodes and transforms one example; `random` drives the
// augmentation, so the same seed gives the same example (the loader derives it from seed, epoch and
// index, which is what makes resumed runs reproduce uninterrupted ones).
#include <cstdint>
#include <string>

#include "core/Random.h"
#include "core/Tensor.h"

namespace fgq {

struct Example {
  Tensor image;       // [C, H, W] f32, normalized
  int64_t label = 0;  // -1 when the dataset has no labels
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Example get(int64_t index, Random& random) const = 0;
  virtual int64_t numClasses() const = 0;
  virtual std::string describe() const = 0;  // for progress output: "fashion_mnist train (60000 images)"
};

}  // namespace fgq

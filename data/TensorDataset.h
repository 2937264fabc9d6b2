#pragma once
// Images already in memory, [N, C, H, W] (synthesized calibration inputs): unlabeled, shown as they are.
#include <vector>

#include "core/TensorOps.h"
#include "data/Dataset.h"

namespace fgq {

class TensorDataset : public Dataset {
 public:
  TensorDataset(const Tensor& images, std::string name) : name_(std::move(name)) {
    FGQ_CHECK(images.shape().rank() == 4, name_ << ": images must be [N, C, H, W], found " << images.shape().str());
    const Shape item{images.shape()[1], images.shape()[2], images.shape()[3]};
    for (const Tensor& row : splitRows(images.plain(), 1)) rows_.push_back(row.reshape(item));
  }
  int64_t size() const override { return static_cast<int64_t>(rows_.size()); }
  Example get(int64_t index, Random&) const override { return {rows_.at(static_cast<size_t>(index)).clone(), -1}; }
  int64_t numClasses() const override { return 0; }
  std::string describe() const override { return std::to_string(size()) + " " + name_; }

 private:
  std::string name_;
  std::vector<Tensor> rows_;
};
}  // namespace fgq

#pragma once
// Two datasets one after the other (a few real images' views, then synthesized inputs).
#include <memory>

#include "data/Dataset.h"

namespace fgq {

class ConcatDataset : public Dataset {
 public:
  ConcatDataset(std::unique_ptr<Dataset> first, std::unique_ptr<Dataset> second) : first_(std::move(first)), second_(std::move(second)) {}
  int64_t size() const override { return first_->size() + second_->size(); }
  Example get(int64_t index, Random& random) const override {
    return index < first_->size() ? first_->get(index, random) : second_->get(index - first_->size(), random);
  }
  int64_t numClasses() const override { return first_->numClasses(); }
  std::string describe() const override { return first_->describe() + " and " + second_->describe(); }

 private:
  std::unique_ptr<Dataset> first_, second_;
};

}  // namespace fgq

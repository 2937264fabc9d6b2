#pragma once
// The first `distinct` examples of a dataset, repeated to `size` indices: a handful of images, even
// one, become an epoch of many augmented views (each index draws its own augmentation).
#include "data/Dataset.h"

namespace fgq {

class RepeatedDataset : public Dataset {
 public:
  RepeatedDataset(std::unique_ptr<Dataset> base, int64_t distinct, int64_t size)
      : base_(std::move(base)), distinct_(distinct), size_(size) {
    FGQ_CHECK(distinct_ >= 1 && distinct_ <= base_->size(),
              base_->describe() << " has " << base_->size() << " images; " << distinct_ << " requested");
    FGQ_CHECK(size_ >= distinct_, "a repeated dataset cannot be smaller than its distinct examples");
  }
  int64_t size() const override { return size_; }
  Example get(int64_t index, Random& random) const override { return base_->get(index % distinct_, random); }
  int64_t numClasses() const override { return base_->numClasses(); }
  std::string describe() const override {
    return std::to_string(distinct_) + " images of " + base_->describe() + (size_ > distinct_ ? ", repeated as " + std::to_string(size_) + " views" : "");
  }

 private:
  std::unique_ptr<Dataset> base_;
  int64_t distinct_, size_;
};

}  // namespace fgq

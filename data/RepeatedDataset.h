#pragma once
// A few examples of a dataset, repeated to `size` indices: a handful of images, even one, become an
// epoch of many augmented views (each index draws its own augmentation). Index i shows example
// indices[i % distinct]; only those examples are ever read.
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "data/Dataset.h"

namespace fgq {

class RepeatedDataset : public Dataset {
 public:
  RepeatedDataset(std::unique_ptr<Dataset> base, std::vector<int64_t> indices, int64_t size)
      : base_(std::move(base)), indices_(std::move(indices)), size_(size) {
    FGQ_CHECK(!indices_.empty() && static_cast<int64_t>(indices_.size()) <= base_->size(),
              base_->describe() << " has " << base_->size() << " images; " << indices_.size() << " requested");
    for (int64_t i : indices_) FGQ_CHECK(i >= 0 && i < base_->size(), "image " << i << " of " << base_->describe());
    FGQ_CHECK(size_ >= distinct(), "a repeated dataset cannot be smaller than its distinct examples");
  }
  int64_t size() const override { return size_; }
  int64_t distinct() const { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index, Random& random) const override {
    const int64_t example = indices_[index % distinct()];
    {
      std::lock_guard lock(mutex_);
      read_.insert(example);
    }
    return base_->get(example, random);
  }
  // How many distinct examples of the base have been read so far (the loader reads from a thread).
  int64_t distinctRead() const {
    std::lock_guard lock(mutex_);
    return static_cast<int64_t>(read_.size());
  }
  int64_t numClasses() const override { return base_->numClasses(); }
  std::string describe() const override {
    return std::to_string(distinct()) + " images of " + base_->describe() +
           (size_ > distinct() ? ", repeated as " + std::to_string(size_) + " views" : "");
  }

 private:
  std::unique_ptr<Dataset> base_;
  std::vector<int64_t> indices_;
  int64_t size_;
  mutable std::mutex mutex_;
  mutable std::set<int64_t> read_;
};

}  // namespace fgq

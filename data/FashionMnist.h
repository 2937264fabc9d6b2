#pragma once
// Fashion-MNIST from its four gzipped IDX files (Debian's dataset-fashion-mnist installs them in
// /usr/share/datasets/fashion-mnist): 60,000 training and 10,000 test images, 28x28 gray, 10 classes.
#include <string>
#include <vector>

#include "data/Dataset.h"
#include "data/Transforms.h"

namespace fgq {

inline constexpr const char* kFashionMnistDefaultRoot = "/usr/share/datasets/fashion-mnist";

// The class names, by label.
const std::vector<std::string>& fashionMnistClasses();

class FashionMnist : public Dataset {
 public:
  // split: "train" or "test". Throws naming the file for a missing, truncated or malformed file.
  // Without labels the label file is not read and every example's label is -1.
  FashionMnist(const std::string& root, const std::string& split, TransformOptions transforms, bool withLabels = true);
  int64_t size() const override { return count_; }
  Example get(int64_t index, Random& random) const override;
  int64_t numClasses() const override { return 10; }
  std::string describe() const override;

 private:
  std::string split_;
  int64_t count_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_, labels_;
  TransformOptions transforms_;
};

// Reads a gzipped (or plain) IDX file: magic, dimensions, u8 data. Returns the dimensions. Refuses data
// over kMaxIdxBytes, and allocates only what the file delivers.
inline constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 32;
std::vector<int64_t> readIdx(const std::string& path, int expectedDims, std::vector<uint8_t>& data);

}  // namespace fgq

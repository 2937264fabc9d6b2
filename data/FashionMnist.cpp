#include "data/FashionMnist.h"

#include <algorithm>
#include <filesystem>
#include <zlib.h>

#include "core/Error.h"

namespace fgq {

std::vector<int64_t> readIdx(const std::string& path, int expectedDims, std::vector<uint8_t>& data) {
  if (!std::filesystem::exists(path)) throw Error(path + ": file not found");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw Error(path + ": cannot open");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(file, gzclose);
  auto readExactly = [&](void* dst, size_t bytes) {
    const int got = gzread(file, dst, static_cast<unsigned>(bytes));
    if (got != static_cast<int>(bytes)) throw Error(path + ": truncated or corrupt IDX file");
  };
  uint8_t header[4];
  readExactly(header, 4);
  // IDX: two zero bytes, type 0x08 (unsigned byte), number of dimensions.
  if (header[0] != 0 || header[1] != 0 || header[2] != 0x08 || header[3] != expectedDims)
    throw Error(path + ": not an IDX file of u8 with " + std::to_string(expectedDims) + " dimensions");
  std::vector<int64_t> dims;
  uint64_t total = 1;
  for (int i = 0; i < expectedDims; ++i) {
    uint8_t b[4];
    readExactly(b, 4);
    dims.push_back((int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3]);
    if (__builtin_mul_overflow(total, static_cast<uint64_t>(dims.back()), &total) || total > kMaxIdxBytes)
      throw Error(path + ": IDX dimension " + std::to_string(i) + " (" + std::to_string(dims.back()) + ") makes more than " +
                  std::to_string(kMaxIdxBytes) + " bytes of data");
  }
  // Read as the data arrives, so that a header's claim allocates no more than the file holds.
  constexpr uint64_t kChunk = uint64_t{1} << 24;
  data.clear();
  while (data.size() < total) {
    const size_t at = data.size(), n = static_cast<size_t>(std::min(kChunk, total - at));
    data.resize(at + n);
    readExactly(data.data() + at, n);
  }
  return dims;
}

const std::vector<std::string>& fashionMnistClasses() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return names;
}

FashionMnist::FashionMnist(const std::string& root, const std::string& split, TransformOptions transforms, bool withLabels)
    : split_(split), transforms_(std::move(transforms)) {
  FGQ_CHECK(split == "train" || split == "test", "Fashion-MNIST split must be train or test, found '" << split << "'");
  if (!std::filesystem::is_directory(root))
    throw Error(root + ": Fashion-MNIST directory not found (install dataset-fashion-mnist, or set data.root)");
  const std::string prefix = root + "/" + (split == "train" ? "train" : "t10k");
  const auto imageDims = readIdx(prefix + "-images-idx3-ubyte.gz", 3, pixels_);
  count_ = imageDims[0];
  rows_ = imageDims[1];
  cols_ = imageDims[2];
  if (!withLabels) return;
  const auto labelDims = readIdx(prefix + "-labels-idx1-ubyte.gz", 1, labels_);
  if (imageDims[0] != labelDims[0])
    throw Error(prefix + ": " + std::to_string(imageDims[0]) + " images but " + std::to_string(labelDims[0]) + " labels");
  for (uint8_t label : labels_)
    if (label >= 10) throw Error(prefix + "-labels-idx1-ubyte.gz: label " + std::to_string(label) + " outside 0..9");
}

Example FashionMnist::get(int64_t index, Random& random) const {
  FGQ_CHECK(index >= 0 && index < count_, "Fashion-MNIST index " << index << " outside [0, " << count_ << ")");
  const cv::Mat image(static_cast<int>(rows_), static_cast<int>(cols_), CV_8UC1,
                      const_cast<uint8_t*>(pixels_.data() + index * rows_ * cols_));
  return {applyTransforms(image, transforms_, random), labels_.empty() ? -1 : labels_[index]};
}

std::string FashionMnist::describe() const {
  return "fashion_mnist " + split_ + " (" + std::to_string(count_) + " images)";
}

}  // namespace fgq

#pragma once
// Where the engine's activations live between steps: buffers declared while a model is lowered (a
// size per image each), allocated once per batch size and reused by every run at that size (fresh
// memory is slow to touch on this machine: ../shared/machine-notes.md).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace fgq::infer {

class BufferPlan {
 public:
  // Returns the id of a buffer of `bytesPerImage` bytes per image.
  int add(int64_t bytesPerImage);
  int64_t bytesPerImage(int id) const { return sizes_.at(static_cast<size_t>(id)); }
  int count() const { return static_cast<int>(sizes_.size()); }

 private:
  std::vector<int64_t> sizes_;
};

class Workspace {
 public:
  Workspace(const BufferPlan& plan, int64_t batch);
  int64_t batch() const { return batch_; }
  uint8_t* bytes(int id) { return buffers_.at(static_cast<size_t>(id)); }
  float* floats(int id) { return reinterpret_cast<float*>(bytes(id)); }
  // Images [first, first + n) of this workspace: the same memory, every buffer offset by `first` images,
  // so that a step run on it computes those images alone (buffers are [N, ...] per image).
  Workspace images(int64_t first, int64_t n) const;

 private:
  Workspace() = default;
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  using Memory = std::vector<std::unique_ptr<uint8_t[], Free>>;

  int64_t batch_ = 0;
  std::vector<uint8_t*> buffers_;
  std::vector<int64_t> bytesPerImage_;
  // Zero-filled once: padded inputs keep their zero borders. Each has slack after it, for the AMX kernel
  // (infer/TernaryConv.h), and starts on a cache line, so that the kernels' 64-byte vectors of a pixel's
  // channels never straddle two lines (on malloc's 16-byte alignment they did: twice the memory traffic).
  // Shared by the views of images().
  std::shared_ptr<const Memory> memory_;
};

}  // namespace fgq::infer

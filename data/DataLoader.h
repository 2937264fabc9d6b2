#pragma once
// Batches from a Dataset, assembled by a background thread a few batches ahead of the training step.
// The order of an epoch is a permutation drawn from (seed, epoch), and each example's augmentation
// from (seed, epoch, index): an epoch can start at any step and yield exactly the batches an
// uninterrupted epoch would have, which is how --resume reproduces a run bit for bit.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/Communicator.h"
#include "data/Dataset.h"

namespace fgq {

struct Batch {
  Tensor images;  // [B, C, H, W] f32
  Tensor labels;  // [B] s64
};

// The order in which a shuffling loader with `seed` visits `examples` examples in `epoch`; its first
// `count` entries are a seeded draw of `count` distinct examples.
std::vector<int64_t> epochOrder(int64_t examples, uint64_t seed, int64_t epoch);

struct LoaderOptions {
  int64_t batchSize = 128;
  bool shuffle = true;
  bool dropLast = true;  // full batches only (fixed shapes for batch norm and the primitive cache)
  uint64_t seed = 0;
  int64_t prefetch = 2;   // batches assembled ahead
  int64_t limit = -1;     // use only the first `limit` examples (-1: all)
  // Data parallelism: batchSize is the global batch, of which this loader yields the contiguous slice
  // `shard` of `shards` (as even as can be; a slice with no example is not yielded). The loaders of
  // every shard together yield each global batch once, in the order one loader would.
  int shard = 0, shards = 1;
};

// `options` for this rank's slice of every global batch (as even as can be: evaluation).
LoaderOptions rankSlice(const Communicator& ranks, LoaderOptions options);
// The same for training, where every rank's slice must be equal: `batch` names the batch for the error
// when it does not split evenly over the processes ("NAME: the batch of 128 (train.batch_size)").
LoaderOptions evenRankSlice(const Communicator& ranks, LoaderOptions options, const std::string& batch);

class DataLoader {
 public:
  DataLoader(const Dataset& dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t stepsPerEpoch() const;
  int64_t examples() const;  // examples an epoch uses (by every shard together)
  bool sharded() const { return options_.shards > 1; }
  // Begins producing the batches of `epoch` from step `firstStep` on.
  void startEpoch(int64_t epoch, int64_t firstStep = 0);
  // The next batch of the epoch, or nothing at its end. Rethrows a failure of the producer (a corrupt
  // image, say) here, on the caller's thread.
  std::optional<Batch> next();

 private:
  void stop();
  void produce(std::vector<int64_t> order, int64_t epoch, int64_t firstStep);
  Batch assemble(const std::vector<int64_t>& indices, int64_t epoch) const;

  const Dataset& dataset_;
  LoaderOptions options_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  bool finished_ = true, stopping_ = false;
  std::exception_ptr failure_;
};

}  // namespace fgq

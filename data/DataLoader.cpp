#include "data/DataLoader.h"

#include <cstring>
#include <numeric>

namespace fgq {

LoaderOptions rankSlice(const Communicator& ranks, LoaderOptions options) {
  options.shard = ranks.rank();
  options.shards = ranks.size();
  return options;
}

LoaderOptions evenRankSlice(const Communicator& ranks, LoaderOptions options, const std::string& batch) {
  if (options.batchSize % ranks.size() != 0)
    throw Error(batch + " does not split evenly over " + std::to_string(ranks.size()) + " processes");
  return rankSlice(ranks, options);
}
namespace {

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

DataLoader::DataLoader(const Dataset& dataset, LoaderOptions options) : dataset_(dataset), options_(options) {
  FGQ_CHECK(options.batchSize > 0, "batch size must be positive, found " << options.batchSize);
  FGQ_CHECK(options.prefetch > 0, "prefetch must be positive, found " << options.prefetch);
  FGQ_CHECK(options.shards > 0 && options.shard >= 0 && options.shard < options.shards,
            "shard " << options.shard << " of " << options.shards);
  FGQ_CHECK(!options.dropLast || examples() >= options.batchSize,
            dataset.describe() << " has " << examples() << " examples, fewer than one batch of " << options.batchSize);
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::examples() const {
  return options_.limit >= 0 ? std::min(options_.limit, dataset_.size()) : dataset_.size();
}

int64_t DataLoader::stepsPerEpoch() const {
  const int64_t n = examples();
  return options_.dropLast ? n / options_.batchSize : (n + options_.batchSize - 1) / options_.batchSize;
}

void DataLoader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  ready_.clear();
  stopping_ = false;
  failure_ = nullptr;
}

std::vector<int64_t> epochOrder(int64_t examples, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(examples);
  std::iota(order.begin(), order.end(), 0);
  Random random(mix(seed, static_cast<uint64_t>(epoch)));
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) std::swap(order[i], order[random.below(i + 1)]);
  return order;
}

void DataLoader::startEpoch(int64_t epoch, int64_t firstStep) {
  stop();
  std::vector<int64_t> order(examples());
  if (options_.shuffle)
    order = epochOrder(examples(), options_.seed, epoch);
  else
    std::iota(order.begin(), order.end(), 0);
  finished_ = false;
  worker_ = std::thread([this, order = std::move(order), epoch, firstStep]() mutable { produce(std::move(order), epoch, firstStep); });
}

void DataLoader::produce(std::vector<int64_t> order, int64_t epoch, int64_t firstStep) {
  try {
    for (int64_t step = firstStep; step < stepsPerEpoch(); ++step) {
      const int64_t first = step * options_.batchSize;
      const int64_t length = std::min<int64_t>(options_.batchSize, static_cast<int64_t>(order.size()) - first);
      const int64_t begin = first + length * options_.shard / options_.shards;
      const int64_t end = first + length * (options_.shard + 1) / options_.shards;
      if (begin == end) continue;
      Batch batch = assemble(std::vector<int64_t>(order.begin() + begin, order.begin() + end), epoch);
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || static_cast<int64_t>(ready_.size()) < options_.prefetch; });
      if (stopping_) return;
      ready_.push_back(std::move(batch));
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

Batch DataLoader::assemble(const std::vector<int64_t>& indices, int64_t epoch) const {
  // Examples decode in parallel (JPEG decoding and resizing keep both cores busy); each draws its
  // augmentation from its own index, so the batch does not depend on which thread made it.
  const int64_t n = static_cast<int64_t>(indices.size());
  std::vector<Example> examples(n);
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic) num_threads(2)
  for (int64_t i = 0; i < n; ++i) {
    try {
      Random random(mix(mix(options_.seed, static_cast<uint64_t>(epoch)), static_cast<uint64_t>(indices[i])));
      examples[i] = dataset_.get(indices[i], random);
    } catch (...) {
#pragma omp critical
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  std::vector<int64_t> dims{n};
  for (int64_t d : examples[0].image.shape().dims()) dims.push_back(d);
  Batch batch{Tensor::empty(Shape(dims)), Tensor::empty({n}, DType::kS64)};
  const int64_t perImage = batch.images.numel() / n;
  for (int64_t i = 0; i < n; ++i) {
    FGQ_CHECK(examples[i].image.numel() == perImage, dataset_.describe() << ": example " << indices[i] << " has shape "
                                                                         << examples[i].image.shape().str()
                                                                         << ", unlike the batch's first");
    std::memcpy(batch.images.data<float>() + i * perImage, examples[i].image.data<float>(), perImage * sizeof(float));
    batch.labels.data<int64_t>()[i] = examples[i].label;
  }
  return batch;
}

std::optional<Batch> DataLoader::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
  if (!ready_.empty()) {
    Batch batch = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return batch;
  }
  if (failure_) std::rethrow_exception(failure_);
  return std::nullopt;
}

}  // namespace fgq

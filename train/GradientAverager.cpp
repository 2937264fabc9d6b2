#include "train/GradientAverager.h"

#include <chrono>
#include <cstring>

#include "core/Error.h"

namespace fgq {
namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

GradientAverager::GradientAverager(std::vector<std::pair<std::string, Variable>> parameters, const Communicator& group, int64_t bucketBytes)
    : group_(group) {
  for (auto& named : parameters)
    if (named.second.requiresGrad()) parameters_.push_back(std::move(named));
  int64_t bytes = bucketBytes;
  for (size_t i = parameters_.size(); i-- > 0;) {
    if (bytes >= bucketBytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    buckets_.back().members.push_back(i);
    bytes += parameters_[i].second.tensor().numel() * static_cast<int64_t>(sizeof(float));
  }
}

bool GradientAverager::ready(const Bucket& bucket) const {
  for (size_t i : bucket.members)
    if (!parameters_[i].second.hasGrad()) return false;
  return true;
}

// Parameters without a gradient this step (none on any rank: the replicas run the same graph) stay out.
void GradientAverager::start(Bucket& bucket) {
  bucket.values.clear();
  bucket.sent.clear();
  for (size_t i : bucket.members) {
    const Variable& p = parameters_[i].second;
    if (!p.hasGrad()) {
      bucket.sent.push_back(nullptr);
      continue;
    }
    const Tensor g = p.grad().plain();
    FGQ_CHECK(g.dtype() == DType::kF32, "data-parallel gradient of " << parameters_[i].first << " is not f32");
    bucket.values.insert(bucket.values.end(), g.data<float>(), g.data<float>() + g.numel());
    bucket.sent.push_back(p.grad().raw());
  }
  if (&bucket == &buckets_.front()) firstStart_ = now();
  bucket.sum = group_.startAllreduceSum(bucket.values);
}

void GradientAverager::poll() {
  while (nextToStart_ < buckets_.size() && ready(buckets_[nextToStart_])) start(buckets_[nextToStart_++]);
  for (size_t b = 0; b < nextToStart_; ++b) group_.poll(buckets_[b].sum);
}

void GradientAverager::complete(Bucket& bucket) {
  group_.wait(bucket.sum);
  const float inverse = 1.0f / static_cast<float>(group_.size());
  size_t offset = 0;
  for (size_t m = 0; m < bucket.members.size(); ++m) {
    Variable& p = parameters_[bucket.members[m]].second;
    if (!bucket.sent[m]) continue;
    if (p.grad().raw() != bucket.sent[m])
      throw Error("data-parallel training: parameter '" + parameters_[bucket.members[m]].first +
                  "' received a gradient after its bucket was sent (a parameter used twice in the graph)");
    Tensor mean = Tensor::empty(p.shape());
    for (int64_t k = 0; k < mean.numel(); ++k) mean.data<float>()[k] = bucket.values[offset + static_cast<size_t>(k)] * inverse;
    offset += static_cast<size_t>(mean.numel());
    p.zeroGrad();
    p.addGrad(mean);
  }
}

void GradientAverager::finish() {
  while (nextToStart_ < buckets_.size()) start(buckets_[nextToStart_++]);
  const double waitStart = now();
  for (Bucket& b : buckets_) complete(b);
  const double end = now();
  exposedSeconds_ += end - waitStart;
  sumSeconds_ += end - firstStart_;
  nextToStart_ = 0;
}

}  // namespace fgq

#pragma once
// Data-parallel gradients: after backward, every parameter's gradient is the mean over the ranks, so that
// each rank's optimizer takes the step of the global batch's mean loss and the replicas stay equal.
// Gradients travel in buckets of about `bucketBytes`, from the last parameters to the first (the order
// backward produces them); a bucket's sum starts as soon as all its gradients exist, while backward
// computes the rest, as PyTorch's DDP and Horovod do. Started sums progress in poll(), called from
// backward after each node (Open MPI's shared-memory transport has no progress thread).
// A parameter that receives a second gradient after its bucket left (one used twice in the graph) is an
// error naming it.
#include <string>
#include <vector>

#include "autograd/Variable.h"
#include "core/Communicator.h"

namespace fgq {

class GradientAverager {
 public:
  GradientAverager(std::vector<std::pair<std::string, Variable>> parameters, const Communicator& group, int64_t bucketBytes = 4 << 20);

  void poll();    // during backward
  void finish();  // after backward: sends what is left, waits, and sets the averaged gradients

  // Over the steps so far: seconds from each step's first sum starting to its last completing, and the
  // part of them finish() waited (the rest was hidden behind backward).
  double sumSeconds() const { return sumSeconds_; }
  double exposedSeconds() const { return exposedSeconds_; }

 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_
    std::vector<float> values;
    std::vector<const void*> sent;  // each member's gradient storage when it was copied
    Communicator::PendingSum sum;
  };
  bool ready(const Bucket& bucket) const;
  void start(Bucket& bucket);
  void complete(Bucket& bucket);

  std::vector<std::pair<std::string, Variable>> parameters_;
  const Communicator& group_;
  std::vector<Bucket> buckets_;
  size_t nextToStart_ = 0;
  double sumSeconds_ = 0, exposedSeconds_ = 0, firstStart_ = 0;
};

}  // namespace fgq

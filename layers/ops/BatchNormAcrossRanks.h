#pragma once
// Synchronized batch norm's arithmetic: the statistics of every rank's batch together, and the backward
// of a batch norm that normalized with them. Both read the activations in the layout oneDNN keeps them
// in (plain, or channels blocked by 4, 8 or 16), never reordered.
#include <dnnl.hpp>

#include "core/Communicator.h"
#include "core/Tensor.h"

namespace fgq {

// mean and variance (biased, [C] f32) over every rank's batch of src (f32 [N, C, H, W] in layout data);
// returns the number of values per channel over all ranks. One allreduce.
int64_t globalBatchStatistics(const Communicator& group, const Tensor& src, const dnnl::memory::desc& data, Tensor& mean, Tensor& variance);

struct BatchNormGradients {
  Tensor diffSrc;               // in layout data
  Tensor diffScale, diffShift;  // [C], over this rank's batch: the parameters' gradients before they are averaged over ranks
};
// Batch norm's backward for a forward normalized with mean and variance of every rank's batch (from
// globalBatchStatistics): the gradient of the global batch's loss for this rank's inputs. src and
// diffDst are f32 in layout data. One allreduce.
BatchNormGradients globalBatchBackward(const Communicator& group, const Tensor& src, const Tensor& diffDst, const dnnl::memory::desc& data,
                                       const Tensor& gamma, const Tensor& mean, const Tensor& variance, double eps);

}  // namespace fgq

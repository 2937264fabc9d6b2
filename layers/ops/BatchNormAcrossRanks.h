#pragma once
// Synchronized batch norm's arithmetic: statistics of every rank's batch together, and the correction
// that turns a batch-norm backward over the local batch into the global batch's. Both read the
// activations in the layout oneDNN keeps them in (plain, or channels blocked), never reordered.
#include <dnnl.hpp>

#include "core/Communicator.h"
#include "core/Tensor.h"

namespace fgq {

// mean and variance (biased, [C] f32) over every rank's batch of src (f32 [N, C, H, W] in layout data);
// returns the number of values per channel over all ranks. One allreduce.
int64_t globalBatchStatistics(const Communicator& group, const Tensor& src, const dnnl::memory::desc& data, Tensor& mean, Tensor& variance);

// diffSrc holds oneDNN's backward over the local batch (localCount values per channel), normalized with
// the global mean and variance; it becomes the global batch's gradient (totalCount values per channel),
// from the sums over the ranks of diffShift and diffScale. One allreduce.
void correctToGlobalBatch(const Communicator& group, Tensor& diffSrc, const Tensor& src, const dnnl::memory::desc& data, const Tensor& gamma,
                          const Tensor& mean, const Tensor& variance, const Tensor& diffShift, const Tensor& diffScale, int64_t localCount,
                          int64_t totalCount, double eps);

}  // namespace fgq

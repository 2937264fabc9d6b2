#include "layers/ops/BatchNormAcrossRanks.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/Error.h"
#include "layers/onednn/TensorMemory.h"

namespace fgq {
namespace {

using dnnl::memory;

// An activation's layout as runs: `length` positions `step` elements apart, each holding one block of
// consecutive channels (plain NCHW: blocks of one channel). A run is a whole (n, channel block) plane
// where its rows lie back to back (oneDNN's layouts), else one row. A last block that channels do not
// fill is zero padding, as oneDNN keeps it: per-channel arrays are padded to paddedChannels() with
// zeros, and the kernels run over whole blocks.
class ChannelRuns {
 public:
  explicit ChannelRuns(const memory::desc& data) {
    const dnnl_memory_desc_t& d = data.data;
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    block_ = b.inner_nblks == 1 ? b.inner_blks[0] : 1;
    FGQ_CHECK(d.ndims == 4 && d.format_kind == dnnl_blocked && (b.inner_nblks == 0 || (b.inner_nblks == 1 && b.inner_idxs[0] == 1)) &&
                  (block_ == 1 || block_ == 4 || block_ == 8 || block_ == 16),
              "synchronized batch norm: activation layout " << onednn::descKey(data) << " is not plain or blocked by 4, 8 or 16 channels");
    channels_ = d.dims[1];
    batch_ = d.dims[0];
    std::copy(b.strides, b.strides + 4, stride_);
    const bool planeRuns = stride_[2] == d.dims[3] * stride_[3];
    length_ = planeRuns ? d.dims[2] * d.dims[3] : d.dims[3];
    rows_ = planeRuns ? 1 : d.dims[2];
  }

  int64_t channels() const { return channels_; }
  int64_t paddedChannels() const { return (channels_ + block_ - 1) / block_ * block_; }
  int64_t block() const { return block_; }
  int64_t length() const { return length_; }
  int64_t step() const { return stride_[3]; }
  int64_t valuesPerChannel() const { return batch_ * rows_ * length_; }

  // fn(at, first) for every run; the (n, block) pairs are shared among the threads of the enclosing
  // parallel region, statically, so that each thread's share is the same from call to call.
  template <class Fn>
  void forEach(Fn&& fn) const {
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t cb = 0; cb < paddedChannels() / block_; ++cb)
        for (int64_t h = 0; h < rows_; ++h) fn(n * stride_[0] + cb * stride_[1] + h * stride_[2], cb * block_);
  }

 private:
  int64_t block_ = 1, channels_ = 0, batch_ = 0, length_ = 0, rows_ = 0;
  int64_t stride_[4]{};
};

std::vector<float> paddedCopy(const float* values, int64_t channels, int64_t paddedChannels) {
  std::vector<float> out(static_cast<size_t>(paddedChannels), 0.0f);
  std::copy(values, values + channels, out.begin());
  return out;
}

// The run kernels: a block's channels in local arrays (registers), a compile-time block for the
// compiler to vectorize, and each kernel also built for AVX-512 (picked at load time). At the
// baseline's SSE2 these passes cost as much as oneDNN's whole batch-norm forward. Sums run in float
// over chunks of kChunk positions and add up in double.
constexpr int64_t kChunk = 64;

// The float sums of one chunk: of x - shift and of its squares.
template <int64_t kBlock>
[[gnu::always_inline]] inline void chunkSums(const float* x, int64_t positions, int64_t step, const float* shift, float* sum, float* squares) {
  float c[kBlock], s[kBlock]{}, q[kBlock]{};
  std::copy(shift, shift + kBlock, c);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < kBlock; ++i) {
      const float v = x[p * step + i] - c[i];
      s[i] += v;
      q[i] += v * v;
    }
  std::copy(s, s + kBlock, sum);
  std::copy(q, q + kBlock, squares);
}

// sum += sum of x, squares += sum of x^2, per channel. The float sums are of x minus the run's first
// values, against cancellation in E[x^2] - E[x]^2.
template <int64_t kBlock>
[[gnu::always_inline]] inline void runSums(const float* x, int64_t length, int64_t step, double* sum, double* squares) {
  float c[kBlock], s[kBlock], q[kBlock];
  std::copy(x, x + kBlock, c);
  double total[kBlock]{}, totalSquares[kBlock]{};
  for (int64_t p0 = 0; p0 < length; p0 += kChunk) {
    chunkSums<kBlock>(x + p0 * step, std::min(kChunk, length - p0), step, c, s, q);
    for (int64_t i = 0; i < kBlock; ++i) {
      total[i] += s[i];
      totalSquares[i] += q[i];
    }
  }
  const double n = static_cast<double>(length);
  for (int64_t i = 0; i < kBlock; ++i) {
    sum[i] += total[i] + n * c[i];
    squares[i] += totalSquares[i] + c[i] * (2 * total[i] + n * c[i]);
  }
}

// The float sums of one chunk: of dy and of dy * (x - mean).
template <int64_t kBlock>
[[gnu::always_inline]] inline void chunkGradientSums(const float* dy, const float* x, int64_t positions, int64_t step, const float* mean, float* sum,
                                                     float* centered) {
  float m[kBlock], s[kBlock]{}, q[kBlock]{};
  std::copy(mean, mean + kBlock, m);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < kBlock; ++i) {
      s[i] += dy[p * step + i];
      q[i] += dy[p * step + i] * (x[p * step + i] - m[i]);
    }
  std::copy(s, s + kBlock, sum);
  std::copy(q, q + kBlock, centered);
}

// sum += sum of dy, centered += sum of dy * (x - mean), per channel.
template <int64_t kBlock>
[[gnu::always_inline]] inline void runGradientSums(const float* dy, const float* x, int64_t length, int64_t step, const float* mean, double* sum,
                                                   double* centered) {
  float s[kBlock], q[kBlock];
  for (int64_t p0 = 0; p0 < length; p0 += kChunk) {
    chunkGradientSums<kBlock>(dy + p0 * step, x + p0 * step, std::min(kChunk, length - p0), step, mean, s, q);
    for (int64_t i = 0; i < kBlock; ++i) {
      sum[i] += s[i];
      centered[i] += q[i];
    }
  }
}

// dx = scale * dy + slope * x + offset, per channel.
template <int64_t kBlock>
[[gnu::always_inline]] inline void runGradient(float* dx, const float* dy, const float* x, int64_t length, int64_t step, const float* scale,
                                               const float* slope, const float* offset) {
  float a[kBlock], b[kBlock], c[kBlock];
  std::copy(scale, scale + kBlock, a);
  std::copy(slope, slope + kBlock, b);
  std::copy(offset, offset + kBlock, c);
  for (int64_t p = 0; p < length; ++p)
    for (int64_t i = 0; i < kBlock; ++i) dx[p * step + i] = a[i] * dy[p * step + i] + b[i] * x[p * step + i] + c[i];
}

// Calls kernel<block>(args...) for the block sizes ChannelRuns admits.
#define FGQ_FOR_BLOCK(block, kernel, ...)    \
  switch (block) {                           \
    case 16: return kernel<16>(__VA_ARGS__); \
    case 8: return kernel<8>(__VA_ARGS__);   \
    case 4: return kernel<4>(__VA_ARGS__);   \
    default: return kernel<1>(__VA_ARGS__);  \
  }

[[gnu::target_clones("avx512f", "default")]] void addRunSums(const float* x, int64_t length, int64_t step, int64_t block, double* sum,
                                                               double* squares) {
  FGQ_FOR_BLOCK(block, runSums, x, length, step, sum, squares)
}

[[gnu::target_clones("avx512f", "default")]] void addRunGradientSums(const float* dy, const float* x, int64_t length, int64_t step, int64_t block,
                                                                       const float* mean, double* sum, double* centered) {
  FGQ_FOR_BLOCK(block, runGradientSums, dy, x, length, step, mean, sum, centered)
}

[[gnu::target_clones("avx512f", "default")]] void setRunGradient(float* dx, const float* dy, const float* x, int64_t length, int64_t step,
                                                                   int64_t block, const float* scale, const float* slope, const float* offset) {
  FGQ_FOR_BLOCK(block, runGradient, dx, dy, x, length, step, scale, slope, offset)
}

// Two sums per channel over this rank's runs: addRun(at, first, a, b) adds a run's into a[first..] and
// b[first..] (each thread into its own arrays, added up in thread order: deterministic). Returns
// [count of values per channel, the C first sums, the C second sums].
template <class AddRun>
std::vector<double> channelSums(const ChannelRuns& runs, AddRun&& addRun) {
  const int64_t padded = runs.paddedChannels(), channels = runs.channels();
  std::vector<double> partial(static_cast<size_t>(omp_get_max_threads() * 2 * padded), 0.0);
#pragma omp parallel
  {
    double* mine = partial.data() + omp_get_thread_num() * 2 * padded;
    runs.forEach([&](int64_t at, int64_t first) { addRun(at, first, mine + first, mine + padded + first); });
  }
  std::vector<double> sums(static_cast<size_t>(1 + 2 * channels), 0.0);
  sums[0] = static_cast<double>(runs.valuesPerChannel());
  for (size_t t = 0; t < partial.size(); t += static_cast<size_t>(2 * padded))
    for (int64_t c = 0; c < channels; ++c) {
      sums[1 + c] += partial[t + c];
      sums[1 + channels + c] += partial[t + padded + c];
    }
  return sums;
}

}  // namespace

// One pass of sums and sums of squares, so that the forward needs no pass to compute the local
// statistics apart from the global ones.
int64_t globalBatchStatistics(const Communicator& group, const Tensor& src, const memory::desc& data, Tensor& mean, Tensor& variance) {
  const ChannelRuns runs(data);
  const int64_t channels = runs.channels();
  const float* x = static_cast<const float*>(src.raw());
  std::vector<double> sums = channelSums(runs, [&](int64_t at, int64_t, double* sum, double* squares) {
    addRunSums(x + at, runs.length(), runs.step(), runs.block(), sum, squares);
  });
  group.allreduceSum(sums);
  const double total = sums[0];
  float* m = mean.data<float>();
  float* v = variance.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    const double average = sums[1 + c] / total;
    m[c] = static_cast<float>(average);
    v[c] = static_cast<float>(std::max(0.0, sums[1 + channels + c] / total - average * average));
  }
  return static_cast<int64_t>(total);
}

// dx = k (dy - mean of dy - xhat * mean of dy * xhat), k = gamma / sigma, the means over the global
// batch: one pass for this rank's sums, one allreduce, one pass writing dx. (oneDNN's backward would
// subtract the local batch's means, and correcting them costs a third pass.)
BatchNormGradients globalBatchBackward(const Communicator& group, const Tensor& src, const Tensor& diffDst, const memory::desc& data,
                                       const Tensor& gamma, const Tensor& mean, const Tensor& variance, double eps) {
  const ChannelRuns runs(data);
  const int64_t channels = runs.channels(), padded = runs.paddedChannels();
  const float *x = static_cast<const float*>(src.raw()), *dy = static_cast<const float*>(diffDst.raw());
  const std::vector<float> m = paddedCopy(mean.data<float>(), channels, padded);
  std::vector<double> sums = channelSums(runs, [&](int64_t at, int64_t first, double* sum, double* centered) {
    addRunGradientSums(dy + at, x + at, runs.length(), runs.step(), runs.block(), m.data() + first, sum, centered);
  });
  BatchNormGradients g{onednn::emptyForDesc(src.shape(), data), Tensor::empty({channels}), Tensor::empty({channels})};
  std::vector<double> invStd(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {  // this rank's parameter gradients, before the sum over ranks
    invStd[c] = 1.0 / std::sqrt(static_cast<double>(variance.data<float>()[c]) + eps);
    g.diffShift.data<float>()[c] = static_cast<float>(sums[1 + c]);
    g.diffScale.data<float>()[c] = static_cast<float>(sums[1 + channels + c] * invStd[c]);
  }
  group.allreduceSum(sums);
  std::vector<float> scale(static_cast<size_t>(padded), 0.0f), slope(scale), offset(scale);
  for (int64_t c = 0; c < channels; ++c) {
    const double k = gamma.data<float>()[c] * invStd[c];
    const double meanDy = sums[1 + c] / sums[0], meanDyXhat = sums[1 + channels + c] * invStd[c] / sums[0];
    scale[c] = static_cast<float>(k);
    slope[c] = static_cast<float>(-k * invStd[c] * meanDyXhat);
    offset[c] = static_cast<float>(-k * meanDy + k * invStd[c] * meanDyXhat * m[c]);
  }
  float* dx = static_cast<float*>(g.diffSrc.raw());
#pragma omp parallel
  runs.forEach([&](int64_t at, int64_t first) {
    setRunGradient(dx + at, dy + at, x + at, runs.length(), runs.step(), runs.block(), scale.data() + first, slope.data() + first, offset.data() + first);
  });
  return g;
}

}  // namespace fgq

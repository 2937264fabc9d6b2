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

// An activation's layout as rows: at each (n, channel block, h), `width` positions `step` elements apart,
// each holding one block of consecutive channels (plain NCHW: blocks of one channel). A last block
// that channels do not fill is zero padding, as oneDNN keeps it: per-channel arrays are padded to
// paddedChannels() with zeros, and the kernels run over whole blocks.
class ChannelRows {
 public:
  explicit ChannelRows(const memory::desc& data) {
    const dnnl_memory_desc_t& d = data.data;
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    block_ = b.inner_nblks == 1 ? b.inner_blks[0] : 1;
    FGQ_CHECK(d.ndims == 4 && d.format_kind == dnnl_blocked && (b.inner_nblks == 0 || (b.inner_nblks == 1 && b.inner_idxs[0] == 1)) &&
                  (block_ == 1 || block_ == 4 || block_ == 8 || block_ == 16),
              "synchronized batch norm: activation layout " << onednn::descKey(data) << " is not plain or blocked by 4, 8 or 16 channels");
    channels_ = d.dims[1];
    batch_ = d.dims[0];
    height_ = d.dims[2];
    width_ = d.dims[3];
    std::copy(b.strides, b.strides + 4, stride_);
  }

  int64_t channels() const { return channels_; }
  int64_t paddedChannels() const { return (channels_ + block_ - 1) / block_ * block_; }
  int64_t block() const { return block_; }
  int64_t width() const { return width_; }
  int64_t valuesPerChannel() const { return batch_ * height_ * width_; }
  int64_t step() const { return stride_[3]; }

  // fn(at, first) for every row; the (n, block) pairs are shared among the threads of the enclosing
  // parallel region, statically, so that each thread's share is the same from call to call.
  template <class Fn>
  void forEach(Fn&& fn) const {
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < batch_; ++n)
      for (int64_t cb = 0; cb < paddedChannels() / block_; ++cb)
        for (int64_t h = 0; h < height_; ++h) fn(n * stride_[0] + cb * stride_[1] + h * stride_[2], cb * block_);
  }

 private:
  int64_t block_ = 1, channels_ = 0, batch_ = 0, height_ = 0, width_ = 0;
  int64_t stride_[4]{};
};

std::vector<float> paddedCopy(const float* values, int64_t channels, int64_t paddedChannels) {
  std::vector<float> out(static_cast<size_t>(paddedChannels), 0.0f);
  std::copy(values, values + channels, out.begin());
  return out;
}

// The row kernels: a block's channels in local arrays (registers), a compile-time block for the
// compiler to vectorize, and each kernel also built for AVX-512 (picked at load time). At the
// baseline's SSE2 these passes cost as much as oneDNN's whole batch-norm forward.
// Shifted by the row's first values (against cancellation in E[x^2] - E[x]^2): sum and squares of
// x - first, per channel.
template <int64_t kBlock>
[[gnu::always_inline]] inline void rowSums(const float* x, int64_t positions, int64_t step, float* first, float* sum, float* squares) {
  float c[kBlock], s[kBlock]{}, q[kBlock]{};
  std::copy(x, x + kBlock, c);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < kBlock; ++i) {
      const float v = x[p * step + i] - c[i];
      s[i] += v;
      q[i] += v * v;
    }
  std::copy(c, c + kBlock, first);
  std::copy(s, s + kBlock, sum);
  std::copy(q, q + kBlock, squares);
}

// sum = sum of dy, centered = sum of dy * (x - mean), per channel.
template <int64_t kBlock>
[[gnu::always_inline]] inline void rowGradientSums(const float* dy, const float* x, int64_t positions, int64_t step, const float* mean, float* sum,
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

// dx = scale * dy + slope * x + offset, per channel.
template <int64_t kBlock>
[[gnu::always_inline]] inline void rowGradient(float* dx, const float* dy, const float* x, int64_t positions, int64_t step, const float* scale,
                                               const float* slope, const float* offset) {
  float a[kBlock], b[kBlock], c[kBlock];
  std::copy(scale, scale + kBlock, a);
  std::copy(slope, slope + kBlock, b);
  std::copy(offset, offset + kBlock, c);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < kBlock; ++i) dx[p * step + i] = a[i] * dy[p * step + i] + b[i] * x[p * step + i] + c[i];
}

// Calls kernel<block>(args...) for the block sizes ChannelRows admits.
#define FGQ_FOR_BLOCK(block, kernel, ...)            \
  switch (block) {                                   \
    case 16: return kernel<16>(__VA_ARGS__);         \
    case 8: return kernel<8>(__VA_ARGS__);           \
    case 4: return kernel<4>(__VA_ARGS__);           \
    default: return kernel<1>(__VA_ARGS__);          \
  }

// first = the row's first values, sum = sum of (x - first), squares = sum of (x - first)^2 over one row.
[[gnu::target_clones("avx512f", "default")]] void addRowSums(const float* x, int64_t positions, int64_t step, int64_t block, float* first,
                                                               float* sum, float* squares) {
  FGQ_FOR_BLOCK(block, rowSums, x, positions, step, first, sum, squares)
}

[[gnu::target_clones("avx512f", "default")]] void addRowGradientSums(const float* dy, const float* x, int64_t positions, int64_t step, int64_t block,
                                                                       const float* mean, float* sum, float* centered) {
  FGQ_FOR_BLOCK(block, rowGradientSums, dy, x, positions, step, mean, sum, centered)
}

[[gnu::target_clones("avx512f", "default")]] void setRowGradient(float* dx, const float* dy, const float* x, int64_t positions, int64_t step,
                                                                   int64_t block, const float* scale, const float* slope, const float* offset) {
  FGQ_FOR_BLOCK(block, rowGradient, dx, dy, x, positions, step, scale, slope, offset)
}

// Per channel, over this rank's rows: rowPair(at, first, a, b) gives a row's two float sums per channel
// of its block, and shifts them to the pair to accumulate (in double, per thread, added up in thread
// order: deterministic). Returns [1 + 2C]: rows' count of values per channel, then the pairs.
template <class RowPair>
std::vector<double> channelSums(const ChannelRows& rows, RowPair&& rowPair) {
  const int64_t width = 2 * rows.paddedChannels();
  std::vector<double> partial(static_cast<size_t>(omp_get_max_threads() * width), 0.0);
#pragma omp parallel
  {
    double* mine = partial.data() + omp_get_thread_num() * width;
    rows.forEach([&](int64_t at, int64_t first) { rowPair(at, first, mine + 2 * first); });
  }
  std::vector<double> sums(static_cast<size_t>(1 + 2 * rows.channels()), 0.0);
  sums[0] = static_cast<double>(rows.valuesPerChannel());
  for (size_t t = 0; t < partial.size(); t += static_cast<size_t>(width))
    for (int64_t c = 0; c < 2 * rows.channels(); ++c) sums[1 + c] += partial[t + c];
  return sums;
}

}  // namespace

// One pass of sums and sums of squares, so that the forward needs no pass to compute the local
// statistics apart from the global ones. Each row sums in float, shifted by its first values (against
// cancellation in E[x^2] - E[x]^2), and rows add up unshifted in double.
int64_t globalBatchStatistics(const Communicator& group, const Tensor& src, const memory::desc& data, Tensor& mean, Tensor& variance) {
  const ChannelRows rows(data);
  const float* in = static_cast<const float*>(src.raw());
  const double positions = static_cast<double>(rows.width());
  std::vector<double> sums = channelSums(rows, [&](int64_t at, int64_t, double* pairs) {
    float shift[16], sum[16], squares[16];
    addRowSums(in + at, rows.width(), rows.step(), rows.block(), shift, sum, squares);
    for (int64_t i = 0; i < rows.block(); ++i) {
      const double c = shift[i], s = sum[i];
      pairs[2 * i] += s + positions * c;
      pairs[2 * i + 1] += squares[i] + c * (2 * s + positions * c);
    }
  });
  group.allreduceSum(sums);
  const double total = sums[0];
  float* m = mean.data<float>();
  float* v = variance.data<float>();
  for (int64_t c = 0; c < rows.channels(); ++c) {
    const double average = sums[1 + 2 * c] / total;
    m[c] = static_cast<float>(average);
    v[c] = static_cast<float>(std::max(0.0, sums[2 + 2 * c] / total - average * average));
  }
  return static_cast<int64_t>(total);
}

// dx = k (dy - mean of dy - xhat * mean of dy * xhat), k = gamma / sigma, the means over the global
// batch: one pass for this rank's sums, one allreduce, one pass writing dx. (oneDNN's backward would
// subtract the local batch's means, and correcting them costs a third pass.)
BatchNormGradients globalBatchBackward(const Communicator& group, const Tensor& src, const Tensor& diffDst, const memory::desc& data,
                                       const Tensor& gamma, const Tensor& mean, const Tensor& variance, double eps) {
  const ChannelRows rows(data);
  const int64_t channels = rows.channels(), padded = rows.paddedChannels();
  const float *x = static_cast<const float*>(src.raw()), *dy = static_cast<const float*>(diffDst.raw());
  std::vector<float> m = paddedCopy(mean.data<float>(), channels, padded);
  std::vector<double> sums = channelSums(rows, [&](int64_t at, int64_t first, double* pairs) {
    float sum[16], centered[16];
    addRowGradientSums(dy + at, x + at, rows.width(), rows.step(), rows.block(), m.data() + first, sum, centered);
    for (int64_t i = 0; i < rows.block(); ++i) {
      pairs[2 * i] += sum[i];
      pairs[2 * i + 1] += centered[i];
    }
  });
  BatchNormGradients g{onednn::emptyForDesc(src.shape(), data), Tensor::empty({channels}), Tensor::empty({channels})};
  std::vector<float> scale(static_cast<size_t>(padded), 0.0f), slope(scale), offset(scale);
  for (int64_t c = 0; c < channels; ++c) {  // this rank's parameter gradients, before the sum over ranks
    const double invStd = 1.0 / std::sqrt(static_cast<double>(variance.data<float>()[c]) + eps);
    g.diffShift.data<float>()[c] = static_cast<float>(sums[1 + 2 * c]);
    g.diffScale.data<float>()[c] = static_cast<float>(sums[2 + 2 * c] * invStd);
  }
  group.allreduceSum(sums);
  for (int64_t c = 0; c < channels; ++c) {
    const double invStd = 1.0 / std::sqrt(static_cast<double>(variance.data<float>()[c]) + eps), k = gamma.data<float>()[c] * invStd;
    const double meanDy = sums[1 + 2 * c] / sums[0], meanDyXhat = sums[2 + 2 * c] * invStd / sums[0];
    scale[c] = static_cast<float>(k);
    slope[c] = static_cast<float>(-k * invStd * meanDyXhat);
    offset[c] = static_cast<float>(-k * meanDy + k * invStd * meanDyXhat * m[c]);
  }
  float* dx = static_cast<float*>(g.diffSrc.raw());
#pragma omp parallel
  rows.forEach([&](int64_t at, int64_t first) {
    setRowGradient(dx + at, dy + at, x + at, rows.width(), rows.step(), rows.block(), scale.data() + first, slope.data() + first, offset.data() + first);
  });
  return g;
}

}  // namespace fgq

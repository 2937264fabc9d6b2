#include "layers/ops/BatchNormAcrossRanks.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/Error.h"
#include "layers/onednn/Context.h"

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

std::vector<float> padded(const float* values, int64_t channels, int64_t paddedChannels) {
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

template <int64_t kBlock>
[[gnu::always_inline]] inline void rowAffine(float* dx, const float* x, int64_t positions, int64_t step, const float* slope, const float* offset) {
  float a[kBlock], b[kBlock];
  std::copy(slope, slope + kBlock, a);
  std::copy(offset, offset + kBlock, b);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < kBlock; ++i) dx[p * step + i] += b[i] + a[i] * x[p * step + i];
}

// first = the row's first values, sum = sum of (x - first), squares = sum of (x - first)^2 over one row,
// per channel of the block.
[[gnu::target_clones("avx512f", "default")]] void addRowSums(const float* x, int64_t positions, int64_t step, int64_t block, float* first,
                                                               float* sum, float* squares) {
  switch (block) {
    case 16: return rowSums<16>(x, positions, step, first, sum, squares);
    case 8: return rowSums<8>(x, positions, step, first, sum, squares);
    case 4: return rowSums<4>(x, positions, step, first, sum, squares);
    default: return rowSums<1>(x, positions, step, first, sum, squares);
  }
}

// dx += offset + slope * x over one row, per channel of the block.
[[gnu::target_clones("avx512f", "default")]] void addRowAffine(float* dx, const float* x, int64_t positions, int64_t step, int64_t block,
                                                                 const float* slope, const float* offset) {
  switch (block) {
    case 16: return rowAffine<16>(dx, x, positions, step, slope, offset);
    case 8: return rowAffine<8>(dx, x, positions, step, slope, offset);
    case 4: return rowAffine<4>(dx, x, positions, step, slope, offset);
    default: return rowAffine<1>(dx, x, positions, step, slope, offset);
  }
}

// dx += offset[c] + slope[c] * x, in place. oneDNN 2.6 has only its reference binary primitive for this
// (per-channel operand and a sum post-op): 10x slower.
void addChannelAffine(Tensor& dx, const Tensor& x, const ChannelRows& rows, const std::vector<float>& slope, const std::vector<float>& offset) {
  const std::vector<float> a = padded(slope.data(), rows.channels(), rows.paddedChannels());
  const std::vector<float> b = padded(offset.data(), rows.channels(), rows.paddedChannels());
  float* out = static_cast<float*>(dx.raw());
  const float* in = static_cast<const float*>(x.raw());
#pragma omp parallel
  rows.forEach([&](int64_t at, int64_t first) {
    addRowAffine(out + at, in + at, rows.width(), rows.step(), rows.block(), a.data() + first, b.data() + first);
  });
}

}  // namespace

// One pass of sums and sums of squares, so that the forward needs no pass to compute the local
// statistics apart from the global ones. Each row sums in float, shifted by its first values, and
// rows add up unshifted in double.
int64_t globalBatchStatistics(const Communicator& group, const Tensor& src, const memory::desc& data, Tensor& mean, Tensor& variance) {
  const ChannelRows rows(data);
  const int64_t channels = rows.channels(), width = 2 * rows.paddedChannels();
  const float* in = static_cast<const float*>(src.raw());
  const double positions = static_cast<double>(rows.width());
  std::vector<double> partial(static_cast<size_t>(omp_get_max_threads() * width), 0.0);
#pragma omp parallel
  {
    double* mine = partial.data() + omp_get_thread_num() * width;
    rows.forEach([&](int64_t at, int64_t first) {
      float shift[16], sum[16], squares[16];
      addRowSums(in + at, rows.width(), rows.step(), rows.block(), shift, sum, squares);
      for (int64_t i = 0; i < rows.block(); ++i) {
        const double c = shift[i], s = sum[i];
        mine[2 * (first + i)] += s + positions * c;
        mine[2 * (first + i) + 1] += squares[i] + c * (2 * s + positions * c);
      }
    });
  }
  std::vector<double> sums(static_cast<size_t>(1 + 2 * channels), 0.0);
  sums[0] = static_cast<double>(src.numel() / channels);
  for (size_t t = 0; t < partial.size(); t += static_cast<size_t>(width))  // in thread order: deterministic
    for (int64_t c = 0; c < 2 * channels; ++c) sums[1 + c] += partial[t + c];
  group.allreduceSum(sums);
  const double total = sums[0];
  float* m = mean.data<float>();
  float* v = variance.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    const double average = sums[1 + 2 * c] / total;
    m[c] = static_cast<float>(average);
    v[c] = static_cast<float>(std::max(0.0, sums[2 + 2 * c] / total - average * average));
  }
  return static_cast<int64_t>(total);
}

// oneDNN's backward subtracts the local batch's means of dy and dy * xhat; the global batch's are due:
// dx += gamma / sigma * ((local - global mean of dy) + xhat * (local - global mean of dy * xhat)).
void correctToGlobalBatch(const Communicator& group, Tensor& diffSrc, const Tensor& src, const memory::desc& data, const Tensor& gamma,
                          const Tensor& mean, const Tensor& variance, const Tensor& diffShift, const Tensor& diffScale, int64_t localCount,
                          int64_t totalCount, double eps) {
  const int64_t channels = mean.numel();
  const float *shiftSums = diffShift.data<float>(), *scaleSums = diffScale.data<float>(), *g = gamma.data<float>();
  const float *m = mean.data<float>(), *v = variance.data<float>();
  std::vector<float> sums(static_cast<size_t>(2 * channels));
  std::copy(shiftSums, shiftSums + channels, sums.begin());
  std::copy(scaleSums, scaleSums + channels, sums.begin() + channels);
  group.allreduceSum(sums);
  const double local = static_cast<double>(localCount), total = static_cast<double>(totalCount);
  std::vector<float> offset(static_cast<size_t>(channels)), slope(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) {
    const double invStd = 1.0 / std::sqrt(static_cast<double>(v[c]) + eps), k = g[c] * invStd;
    const double a = k * (shiftSums[c] / local - sums[c] / total);
    const double b = k * (scaleSums[c] / local - sums[channels + c] / total) * invStd;
    offset[c] = static_cast<float>(a - b * m[c]);
    slope[c] = static_cast<float>(b);
  }
  addChannelAffine(diffSrc, src, ChannelRows(data), slope, offset);
}

}  // namespace fgq

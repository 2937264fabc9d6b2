// Synchronized batch norm's passes over the activations, on one process (the sums over ranks are then
// the local ones), against plain loops in double, in oneDNN's plain and channel-blocked layouts; 20
// channels leave the second block of 16 partly padding.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/Random.h"
#include "core/TensorOps.h"
#include "layers/onednn/TensorMemory.h"
#include "layers/ops/BatchNormAcrossRanks.h"
#include "layers/reference/Reference.h"

using namespace fgq;
using dnnl::memory;

namespace {

// A plane of 19 x 17 positions: longer than the float chunks (64 positions) the kernels sum in.
const int64_t kBatch = 3, kChannels = 20, kHeight = 19, kWidth = 17, kPlane = kHeight * kWidth, kPerChannel = kBatch * kPlane;
const Shape kShape{kBatch, kChannels, kHeight, kWidth};

// Channel c's values spread by 0.5 around 3 + c: a mean far from zero against the spread.
Tensor activations(uint64_t seed) {
  Random random(seed);
  Tensor t = Tensor::empty(kShape);
  random.fillUniform(t, -0.5, 0.5);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] += 3.0f + static_cast<float>(i / kPlane % kChannels);
  return t;
}

memory::desc layout(memory::format_tag tag) { return memory::desc({kBatch, kChannels, kHeight, kWidth}, memory::data_type::f32, tag); }

float at(const Tensor& plain, int64_t i) { return plain.data<float>()[i]; }
int64_t channelOf(int64_t i) { return i / kPlane % kChannels; }

}  // namespace

TEST_CASE("synchronized batch norm's statistics on one process equal the batch's, plain and blocked, with a padded block") {
  const Tensor x = activations(1);
  std::vector<double> mean(kChannels, 0.0), variance(kChannels, 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) mean[channelOf(i)] += at(x, i) / kPerChannel;
  for (int64_t i = 0; i < x.numel(); ++i) variance[channelOf(i)] += std::pow(at(x, i) - mean[channelOf(i)], 2) / kPerChannel;
  for (auto tag : {memory::format_tag::nchw, memory::format_tag::nChw16c, memory::format_tag::nChw8c}) {
    const memory::desc data = layout(tag);
    Tensor m = Tensor::empty({kChannels}), v = Tensor::empty({kChannels});
    const int64_t count = globalBatchStatistics(Communicator::world(), onednn::toDesc(x, data), data, m, v);
    CHECK(count == kPerChannel);
    for (int64_t c = 0; c < kChannels; ++c) {
      INFO("layout " << static_cast<int>(tag) << ", channel " << c);
      CHECK(std::abs(m.data<float>()[c] - mean[c]) < 1e-6 * std::abs(mean[c]));
      CHECK(std::abs(v.data<float>()[c] - variance[c]) < 1e-5 * variance[c]);
    }
  }
}

// On one process the global batch is the local one: the plain-loop reference of batch norm's training
// backward (in double) is the oracle.
TEST_CASE("synchronized batch norm's backward on one process equals the reference's, plain and blocked, padding kept zero") {
  const Tensor x = activations(2), dy = activations(3);
  Tensor gamma = Tensor::empty({kChannels}), mean = Tensor::empty({kChannels}), variance = Tensor::empty({kChannels});
  Random(4).fillUniform(gamma, 0.5, 1.5);
  const double eps = 1e-5;
  globalBatchStatistics(Communicator::world(), x, onednn::descOf(x), mean, variance);
  const auto expected = reference::batchNormBackward(dy.to(DType::kF64), x.to(DType::kF64), gamma.to(DType::kF64), mean.to(DType::kF64),
                                                     variance.to(DType::kF64), eps, true);
  for (auto tag : {memory::format_tag::nchw, memory::format_tag::nChw16c}) {
    const memory::desc data = layout(tag);
    const BatchNormGradients g =
        globalBatchBackward(Communicator::world(), onednn::toDesc(x, data), onednn::toDesc(dy, data), data, gamma, mean, variance, eps);
    INFO("layout " << static_cast<int>(tag));
    CHECK(compare(onednn::toDesc(g.diffSrc, onednn::descOf(x)), expected.gx).relative < 1e-5);
    CHECK(compare(g.diffScale, expected.gGamma).relative < 1e-5);
    CHECK(compare(g.diffShift, expected.gBeta).relative < 1e-5);
    if (tag == memory::format_tag::nChw16c) {  // channels 20..31 of the second block stay zero
      const float* raw = static_cast<const float*>(g.diffSrc.raw());
      double padding = 0;
      for (int64_t row = 0; row < kBatch * 2 * kPlane; ++row)
        if (row / kPlane % 2 == 1)
          for (int64_t i = 4; i < 16; ++i) padding = std::max(padding, std::abs(static_cast<double>(raw[row * 16 + i])));
      CHECK(padding == 0);
    }
  }
}

// Synchronized batch norm's passes over the activations, on one process (the sums over ranks are then
// the local ones), against plain loops in double, in oneDNN's plain and channel-blocked layouts; 20
// channels leave the second block of 16 partly padding.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/Random.h"
#include "layers/onednn/TensorMemory.h"
#include "layers/ops/BatchNormAcrossRanks.h"

using namespace fgq;
using dnnl::memory;

namespace {

const Shape kShape{5, 20, 7, 6};
const int64_t kChannels = 20, kPerChannel = 5 * 7 * 6;

// Channel c's values spread by 0.5 around 3 + c: a mean far from zero against the spread.
Tensor activations(uint64_t seed) {
  Random random(seed);
  Tensor t = Tensor::empty(kShape);
  random.fillUniform(t, -0.5, 0.5);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] += 3.0f + static_cast<float>(i / (7 * 6) % kChannels);
  return t;
}

memory::desc layout(memory::format_tag tag) { return memory::desc({5, 20, 7, 6}, memory::data_type::f32, tag); }

float at(const Tensor& plain, int64_t i) { return plain.data<float>()[i]; }
int64_t channelOf(int64_t i) { return i / (7 * 6) % kChannels; }

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

// With the local count half the total, the correction is a non-zero affine term per channel.
TEST_CASE("the global-batch correction of batch norm's backward adds its per-channel affine term, plain and blocked, padding kept zero") {
  const Tensor x = activations(2), dx = activations(3);
  Tensor gamma = Tensor::empty({kChannels});
  Random(4).fillUniform(gamma, 0.5, 1.5);
  Tensor mean = Tensor::full({kChannels}, 10.0f), variance = Tensor::full({kChannels}, 2.0f);
  Tensor diffShift = Tensor::empty({kChannels}), diffScale = Tensor::empty({kChannels});
  for (int64_t c = 0; c < kChannels; ++c) {
    diffShift.data<float>()[c] = 0.25f * static_cast<float>(c) - 2.0f;
    diffScale.data<float>()[c] = 1.55f - 0.1f * static_cast<float>(c);  // none zero
  }
  const double eps = 1e-5, local = kPerChannel, total = 2.0 * kPerChannel;
  for (auto tag : {memory::format_tag::nchw, memory::format_tag::nChw16c}) {
    const memory::desc data = layout(tag);
    Tensor corrected = onednn::toDesc(dx, data).clone();
    correctToGlobalBatch(Communicator::world(), corrected, onednn::toDesc(x, data), data, gamma, mean, variance, diffShift, diffScale,
                         kPerChannel, 2 * kPerChannel, eps);
    const Tensor plain = onednn::toDesc(corrected, onednn::descOf(x));  // x is plain
    double worst = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = channelOf(i);
      const double invStd = 1 / std::sqrt(2.0 + eps), k = gamma.data<float>()[c] * invStd;
      const double a = k * diffShift.data<float>()[c] * (1 / local - 1 / total);
      const double b = k * diffScale.data<float>()[c] * (1 / local - 1 / total) * invStd;
      worst = std::max(worst, std::abs(at(plain, i) - (at(dx, i) + a + b * (at(x, i) - 10.0))));
    }
    INFO("layout " << static_cast<int>(tag));
    CHECK(worst < 1e-5);
    if (tag == memory::format_tag::nChw16c) {  // channels 20..31 of the second block stay zero
      const float* raw = static_cast<const float*>(corrected.raw());
      double padding = 0;
      for (int64_t row = 0; row < 5 * 2 * 7 * 6; ++row)
        if (row / (7 * 6) % 2 == 1)
          for (int64_t i = 4; i < 16; ++i) padding = std::max(padding, std::abs(static_cast<double>(raw[row * 16 + i])));
      CHECK(padding == 0);
    }
  }
}

#include "infer/Int8Weights.h"

#include <cmath>
#include <limits>

#include "core/Error.h"

namespace fgq::infer {

namespace {

Int8Weights foldTernary(const QuantizedWeights& w) {
  const int64_t k = w.shape[0], perChannel = w.shape.numel() / k;
  const WeightGroups groups(w.shape, w.groups);
  std::vector<float> alpha(w.codes.size());  // each weight's group alpha
  for (int64_t g = 0; g < groups.count(); ++g)
    for (int64_t i = 0; i < groups.length(g); ++i) alpha[static_cast<size_t>(groups.start(g) + i * groups.stride())] = w.scales[static_cast<size_t>(g)];
  Int8Weights out{std::vector<int8_t>(w.codes.size()), std::vector<float>(static_cast<size_t>(k), 0.0f)};
  for (int64_t c = 0; c < k; ++c) {
    float low = std::numeric_limits<float>::infinity(), top = 0;
    for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i)
      if (w.codes[static_cast<size_t>(i)] != 0) {
        low = std::min(low, alpha[static_cast<size_t>(i)]);
        top = std::max(top, alpha[static_cast<size_t>(i)]);
      }
    const bool shared = top == 0 || low == top;
    // A shared alpha divides into codes of exactly -1, 0 and 1.
    const float scale = top == 0 ? 1.0f : shared ? top : top / 127.0f;
    out.exact = out.exact && shared;
    out.scales[static_cast<size_t>(c)] = scale;
    for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i)
      out.codes[static_cast<size_t>(i)] = static_cast<int8_t>(std::nearbyint(w.codes[static_cast<size_t>(i)] * alpha[static_cast<size_t>(i)] / scale));
  }
  return out;
}

}  // namespace

bool oneGroupPerFilter(const QuantizedWeights& w) {
  const int64_t groups = WeightGroups(w.shape, w.groups).count();
  return groups == 1 || groups == w.shape[0];
}

Int8Weights int8Weights(const QuantizedWeights& w, const std::string& layer) {
  FGQ_CHECK(w.format, layer << ": no quantized weights");
  FGQ_CHECK(static_cast<int64_t>(w.codes.size()) == w.shape.numel(), layer << ".weight.codes: " << w.codes.size() << " codes for "
                                                                          << w.shape.numel() << " weights");
  FGQ_CHECK(static_cast<int64_t>(w.scales.size()) == w.format->scaleCount(w), layer << ".weight.scales: " << w.scales.size()
                                                                                   << " scales where " << w.format->scaleCount(w)
                                                                                   << " fit its " << w.format->name << " codes");
  switch (w.format->id) {
    case WeightFormatId::kInt8: {
      Int8Weights out{std::vector<int8_t>(w.codes.begin(), w.codes.end()), w.scales};
      for (int16_t code : w.codes) FGQ_CHECK(code >= -127 && code <= 127, layer << ".weight.codes: code " << code << " is not int8");
      return out;
    }
    case WeightFormatId::kTernary:
      FGQ_CHECK(w.negativeScales.empty(), layer << ": solver two_scale keeps two scales per group; the integer engine applies one "
                                                   "alpha per group (convert with solver exact)");
      for (int16_t code : w.codes) FGQ_CHECK(code >= -1 && code <= 1, layer << ".weight.codes: code " << code << " is not ternary");
      return foldTernary(w);
    case WeightFormatId::kPow2: break;
  }
  FGQ_CHECK(false, layer << ": " << w.format->name << " weights (a VBD export); the integer engine runs FGQ models");
  return {};
}

}  // namespace fgq::infer

#include "core/Error.h"
#include "infer/TernaryConv.h"

namespace fgq::infer {

namespace {

struct Step {
  int32_t position, channel;
  int64_t groupBegin, groupEnd;  // the input channels of its group
};

// Channel ranges of the groups at one kernel position: N at a time, or all of them for filter and
// layer groups (whose one segment then runs over every position).
std::vector<std::pair<int64_t, int64_t>> channelChunks(const GroupSpec& spec, int64_t channels) {
  const int64_t n = spec.kind == GroupSpec::Kind::kChannels ? spec.n : channels;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  for (int64_t c = 0; c < channels; c += n) chunks.emplace_back(c, std::min(c + n, channels));
  return chunks;
}

void checkWeights(const QuantizedWeights& w, const ConvGeometry& g, const std::string& layer) {
  FGQ_CHECK(w.format && w.format->id == WeightFormatId::kTernary, layer << ": the ternary kernel needs ternary weights, found "
                                                                        << (w.format ? w.format->name : "none"));
  FGQ_CHECK(w.negativeScales.empty(), layer << ": solver two_scale keeps two scales per group; the integer engine applies one alpha "
                                               "per group (convert with solver exact)");
  const Shape expected = w.shape.rank() == 2 ? Shape{g.outC, g.inC} : Shape{g.outC, g.inC, g.kH, g.kW};
  FGQ_CHECK(w.shape == expected, layer << ": weight codes of shape " << w.shape.str() << " for a layer of " << expected.str());
  FGQ_CHECK(static_cast<int64_t>(w.codes.size()) == expected.numel(), layer << ".weight.codes: " << w.codes.size() << " codes for "
                                                                          << expected.numel() << " weights");
  const WeightGroups groups(w.shape, w.groups);
  FGQ_CHECK(static_cast<int64_t>(w.scales.size()) == groups.count(), layer << ".weight.scales: " << w.scales.size() << " scales for "
                                                                          << groups.count() << " groups of " << w.groups.str());
  for (int16_t code : w.codes) FGQ_CHECK(code >= -1 && code <= 1, layer << ".weight.codes: code " << code << " is not ternary");
}

}  // namespace

PackedTernary::PackedTernary(const QuantizedWeights& w, const ConvGeometry& g, const std::string& layer) : outC(g.outC) {
  checkWeights(w, g, layer);
  const int64_t positions = g.kH * g.kW, channels = g.inC;
  const bool perPosition = w.groups.kind == GroupSpec::Kind::kChannels;
  const auto chunks = channelChunks(w.groups, channels);
  std::vector<Step> all;
  for (int32_t p = 0; p < positions; ++p)
    for (const auto& [begin, end] : chunks) {
      for (int64_t c = begin / 4 * 4; c < end; c += 4) all.push_back({p, static_cast<int32_t>(c), begin, end});
      if (perPosition) segmentEnd.push_back(static_cast<int32_t>(all.size()));
    }
  if (!perPosition) segmentEnd.push_back(static_cast<int32_t>(all.size()));
  steps = static_cast<int64_t>(all.size());
  segments = static_cast<int64_t>(segmentEnd.size());
  blocks = (outC + kLanes - 1) / kLanes;
  for (const Step& s : all) {
    stepPosition.push_back(s.position);
    stepChannel.push_back(s.channel);
  }

  codes.assign(static_cast<size_t>(blocks * steps * kLanes * 4), 0);
  alphas.assign(static_cast<size_t>(blocks * segments * kLanes), 0.0f);
  codeSums.assign(alphas.size(), 0);
  const int64_t chunkCount = static_cast<int64_t>(chunks.size());
  for (int64_t k = 0; k < outC; ++k) {
    const int64_t block = k / kLanes, lane = k % kLanes;
    int64_t segment = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const Step& s = all[static_cast<size_t>(step)];
      if (step == segmentEnd[static_cast<size_t>(segment)]) ++segment;
      for (int64_t j = 0; j < 4; ++j) {
        const int64_t c = s.channel + j;
        if (c < s.groupBegin || c >= s.groupEnd) continue;
        const int16_t code = w.codes[static_cast<size_t>((k * channels + c) * positions + s.position)];
        codes[static_cast<size_t>(((block * steps + step) * kLanes + lane) * 4 + j)] = static_cast<int8_t>(code);
        codeSums[static_cast<size_t>((block * segments + segment) * kLanes + lane)] += code;
      }
    }
    for (int64_t seg = 0; seg < segments; ++seg) {
      // Channel groups are numbered (k, position, chunk), chunk fastest (quant/GroupSpec.h).
      const int64_t group = perPosition ? k * positions * chunkCount + seg : w.groups.kind == GroupSpec::Kind::kFilter ? k : 0;
      alphas[static_cast<size_t>((block * segments + seg) * kLanes + lane)] = w.scales[static_cast<size_t>(group)];
    }
  }
}

}  // namespace fgq::infer

#include "infer/Step.h"

namespace fgq::infer {

std::string layerShape(const LayerSpec& s) {
  const ConvGeometry& g = s.geometry;
  const std::string channels = std::to_string(g.inC) + "->" + std::to_string(g.outC);
  return s.linear ? channels : std::to_string(g.kH) + "x" + std::to_string(g.kW) + " " + channels;
}

int64_t layerMacsPerImage(const LayerSpec& s) {
  const ConvGeometry& g = s.geometry;
  return g.outH() * g.outW() * g.outC * g.inC * g.kH * g.kW;
}

}  // namespace fgq::infer

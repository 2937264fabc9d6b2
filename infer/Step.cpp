#include "infer/Step.h"

namespace fgq::infer {

std::string layerDataflow(const LayerSpec& s) {
  const ConvGeometry& g = s.geometry;
  const std::string channels = std::to_string(g.inC) + "->" + std::to_string(g.outC);
  const std::string input = s.input.isSigned() ? ", s8 input" : ", u8 input";
  const std::string residual = s.residual < 0            ? ""
                               : s.residual == s.values ? ", residual added in place"
                               : s.values < 0           ? ", residual added, codes out"
                                                        : ", residual added into an output of its own";
  return (s.linear ? channels : std::to_string(g.kH) + "x" + std::to_string(g.kW) + " " + channels) + input + residual;
}

int64_t layerMacsPerImage(const LayerSpec& s) {
  const ConvGeometry& g = s.geometry;
  return g.outH() * g.outW() * g.outC * g.inC * g.kH * g.kW;
}

std::vector<int> layerBuffers(const LayerSpec& spec) {
  std::vector<int> ids;
  for (int id : {spec.inputCodes, spec.residual, spec.values, spec.codes})
    if (id >= 0) ids.push_back(id);
  return ids;
}

}  // namespace fgq::infer

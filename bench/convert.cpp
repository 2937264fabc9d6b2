// Time to ternarize every conv and inner product of a model (FGQ conversion of the weights), per group
// size: median of 3 runs.   bench/convert [MODEL] [--solver exact|twn|two_scale]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "layers/models/Models.h"
#include "quant/Fgq.h"

using namespace fgq;

int main(int argc, char** argv) {
  std::string modelName = "resnet50", solver = "exact";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--solver") && i + 1 < argc)
      solver = argv[++i];
    else
      modelName = argv[i];
  }
  try {
    auto model = createModel(modelName, {3, 1000, 224, 0});
    std::printf("%s, solver %s: seconds to ternarize all weights (median of 3)\n", modelName.c_str(), solver.c_str());
    for (const char* n : {"1", "2", "4", "8", "16", "32", "64", "filter", "layer"}) {
      std::vector<double> times;
      for (int run = 0; run < 3; ++run) {
        auto layers = weightedLayers(*model);
        const auto start = std::chrono::steady_clock::now();
        for (auto& [name, layer] : layers)
          WeightQuantizer(WeightFormatChoice{true, GroupSpec::parse(n), parseTernarySolver(solver)}).quantized(layer->weight.tensor());
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      std::sort(times.begin(), times.end());
      std::printf("  N=%-7s %6.3f s\n", n, times[1]);
    }
  } catch (const Error& e) {
    std::cerr << "convert: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

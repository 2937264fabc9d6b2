#include "fuzz/Targets.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include "core/Error.h"
#include "core/Json.h"
#include "core/Random.h"
#include "core/Safetensors.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "interop/OnnxModel.h"
#include "train/ExperimentConfig.h"
#include "train/ModelFile.h"

namespace fgq::fuzz {
namespace {

// The loaders that open files themselves (libpng, libtiff, zlib) get the input as a file: one per
// process and suffix, rewritten for every input, removed at exit.
class InputFile {
 public:
  explicit InputFile(const std::string& suffix) : path_("/tmp/fgq_fuzz_" + std::to_string(getpid()) + suffix) {}
  ~InputFile() { std::remove(path_.c_str()); }
  const std::string& write(std::string_view input) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc).write(input.data(), static_cast<std::streamsize>(input.size()));
    return path_;
  }

 private:
  std::string path_;
};

const std::string& asFile(std::string_view input, const std::string& suffix) {
  static std::map<std::string, InputFile> files;
  return files.try_emplace(suffix, suffix).first->second.write(input);
}

}  // namespace

void readSafetensors(std::string_view input) { parseSafetensors(input, "fuzz.safetensors"); }

void readConfig(std::string_view input) {
  const size_t nul = std::min(input.find('\0'), input.size());
  std::vector<std::string> overrides;
  for (size_t start = nul + 1; start < input.size();) {
    const size_t end = std::min(input.find('\n', start), input.size());
    overrides.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  const nlohmann::json json = parseJson(input.substr(0, nul), "fuzz.json");
  parseExperiment(ConfigNode::fromJson(json, "fuzz.json", overrides));
}

void readModelFile(std::string_view input) {
  const std::string& path = asFile(input, ".safetensors");
  loadModelFile(path, {});
  ModelFileOptions integer;
  integer.engine = "integer";
  loadModelFile(path, integer);
}

void readImage(std::string_view input) {
  Random random(0);
  loadImage(asFile(input, ".image"), 3, int64_t{1} << 20, TransformOptions{}, random);
}

void readIdx(std::string_view input) {
  std::vector<uint8_t> values;
  fgq::readIdx(asFile(input, ".idx.gz"), 3, values);
}

void readOnnx(std::string_view input) {
  const std::unique_ptr<OnnxModel> model = loadOnnxModel(asFile(input, ".onnx"));
  model->eval();
  const Shape image{1, 3, 32, 32};
  Module::LayerInputShapes shapes;
  model->inferShape(image, shapes);
  traceGraph(*model);
  NoGradGuard noGrad;
  (*model)(Variable(Tensor::zeros(image)));
}

Target targetNamed(const std::string& name) {
  static const std::map<std::string, Target> targets = {{"safetensors", readSafetensors}, {"config", readConfig}, {"model_file", readModelFile},
                                                        {"image", readImage},             {"idx", readIdx},       {"onnx", readOnnx}};
  const auto it = targets.find(name);
  if (it == targets.end()) throw Error("no fuzz target named '" + name + "'");
  return it->second;
}

}  // namespace fgq::fuzz

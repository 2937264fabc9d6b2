// fgq-infer MODEL_FILE IMAGE... [--engine E] [--set key.path=value ...] [--top K]
// Classifies image files with a model file: the top classes of each, and the time per image.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>

#include "apps/CommandLine.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "train/ModelFile.h"

namespace {

constexpr const char* kUsage =
    "usage: fgq-infer MODEL_FILE IMAGE... [options]\n"
    "  MODEL_FILE             quantized.safetensors, or with --engine fp32 also a VBD export or a state dict\n"
    "  IMAGE                  image files (PNG, JPEG, ...), preprocessed by the config's evaluation transforms\n"
    "  --engine E             integer (default: a converted FGQ model in integers, ternary layers exact),\n"
    "                         integer-folded (ternary layers folded to int8), or fp32 (as fgq trains it)\n"
    "  --config CONFIG        the experiment config (required for a plain state dict)\n"
    "  --set key.path=value   override a config key\n"
    "  --top K                classes to print per image (default 5)\n";

// Class names by index: Fashion-MNIST's, or the config's synset list; empty when neither.
std::vector<std::string> classNames(const fgq::Experiment& e) {
  if (e.data.dataset == "fashion_mnist") return fgq::fashionMnistClasses();
  std::vector<std::string> names;
  if (e.data.synsets.empty()) return names;
  std::ifstream in(e.data.synsets);
  for (std::string line; std::getline(in, line);) names.push_back(line);
  return names;
}

struct Timed {
  fgq::Tensor logits;
  double seconds;
};

Timed classify(fgq::Module& model, const fgq::Tensor& image) {
  fgq::NoGradGuard noGrad;
  const fgq::Shape& s = image.shape();
  const fgq::Tensor batch = image.reshape(fgq::Shape{1, s[0], s[1], s[2]});
  const auto start = std::chrono::steady_clock::now();
  fgq::Tensor logits = model(fgq::Variable(batch)).tensor().plain();
  return {logits, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

void printTop(const std::string& path, const Timed& t, const std::vector<std::string>& names, int64_t top) {
  const int64_t k = t.logits.shape()[1];
  const float* logits = t.logits.data<float>();
  const float largest = *std::max_element(logits, logits + k);
  double total = 0;
  for (int64_t j = 0; j < k; ++j) total += std::exp(static_cast<double>(logits[j] - largest));
  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  std::printf("%s  (%.2f ms)\n", path.c_str(), 1000.0 * t.seconds);
  for (int64_t i = 0; i < std::min(top, k); ++i) {
    const int64_t c = order[static_cast<size_t>(i)];
    const std::string name = c < static_cast<int64_t>(names.size()) ? "  " + names[static_cast<size_t>(c)] : "";
    std::printf("  %6.2f%%  class %ld%s\n", 100.0 * std::exp(static_cast<double>(logits[c] - largest)) / total, static_cast<long>(c), name.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const fgq::CommandLine line = fgq::parseCommandLine(argc, argv, {"--config", "--set", "--engine", "--top"}, {}, kUsage, true);
    if (line.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    const std::string& path = line.positional;
    const std::vector<std::string>& images = line.more;
    if (images.empty()) throw fgq::Error("no image given (fgq-infer MODEL_FILE IMAGE...)");
    const int64_t top = line.all("--top").empty() ? 5 : std::stoll(line.value("--top"));
    const std::string engine = line.all("--engine").empty() ? "integer" : line.value("--engine");
    // Classifying images needs the model alone, never the FP32 teacher a converted file records.
    fgq::LoadedModel loaded = fgq::loadModelFile(path, {line.value("--config"), line.all("--set"), "", engine, true});
    const fgq::Experiment& e = loaded.experiment;
    const fgq::Shape imageShape{e.model.options.inChannels, e.model.options.inputSize, e.model.options.inputSize};
    const std::unique_ptr<fgq::Module> integer = fgq::integerEngine(loaded, engine, imageShape);
    fgq::Module& model = integer ? *integer : *loaded.model;
    model.eval();
    const std::vector<std::string> names = classNames(e);
    fgq::Random random(0);
    double seconds = 0, first = 0;
    for (const std::string& file : images) {
      const fgq::Tensor image = fgq::loadImage(file, e.model.options.inChannels, e.data.maxImagePixels, e.data.evalTransforms, random);
      if (!image.defined()) throw fgq::Error(file + ": cannot decode image (corrupt or not an image)");
      if (image.shape() != imageShape)
        throw fgq::Error(file + ": " + image.shape().str() + " after the evaluation transforms; the model takes " + imageShape.str());
      const Timed t = classify(model, image);
      (&file == &images.front() ? first : seconds) += t.seconds;
      printTop(file, t, names, top);
    }
    if (images.size() == 1)
      std::printf("engine %s: %.2f ms for the image (batch 1, buffers and primitives created)\n", engine.c_str(), 1000.0 * first);
    else
      std::printf("engine %s: %.2f ms per image after the first (batch 1; the first, creating buffers and primitives: %.2f ms)\n", engine.c_str(),
                  1000.0 * seconds / static_cast<double>(images.size() - 1), 1000.0 * first);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-infer: " << e.what() << "\n";
    return 1;
  }
}

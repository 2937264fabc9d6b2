// fgq-export MODEL_FILE -o MODEL.onnx [--folded] [--config CONFIG] [--set key.path=value ...]
// Writes a model file as ONNX (interop/OnnxExport.h): an FP32 state dict, a converted FGQ model (ternary
// layers exact, or folded to int8 with --folded) or a VBD export.
#include <iostream>

#include "apps/CommandLine.h"
#include "interop/OnnxExport.h"
#include "train/ModelFile.h"

namespace {

constexpr const char* kUsage =
    "usage: fgq-export MODEL_FILE -o MODEL.onnx [options]\n"
    "  MODEL_FILE             quantized.safetensors or vbd.safetensors (they carry their config), or a state\n"
    "                         dict (model.safetensors)\n"
    "  -o MODEL.onnx          the ONNX file to write (opset 21)\n"
    "  --folded               ternary layers folded to int8 weights with one scale per output channel, as\n"
    "                         fgq's integer-folded engine runs them (default: exact, one scale per group)\n"
    "  --config CONFIG        the experiment config (required for a plain state dict)\n"
    "  --set key.path=value   override a config key\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    const fgq::CommandLine line = fgq::parseCommandLine(argc, argv, {"-o", "--config", "--set"}, {"--folded"}, kUsage);
    if (line.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    if (line.value("-o").empty()) throw fgq::Error(std::string("no output file given (-o MODEL.onnx)\n") + kUsage);
    // An export is the model alone: the FP32 teacher a converted file records plays no part in it.
    fgq::LoadedModel loaded = fgq::loadModelFile(line.positional, {line.value("--config"), line.all("--set"), "", "fp32", true});
    loaded.model->eval();
    const fgq::ModelOptions& o = loaded.experiment.model.options;
    const fgq::TernaryExport ternary = line.has("--folded") ? fgq::TernaryExport::kFolded : fgq::TernaryExport::kExact;
    fgq::writeOnnx(fgq::exportOnnx(*loaded.model, fgq::Shape{o.inChannels, o.inputSize, o.inputSize}, ternary), line.value("-o"));
    std::printf("%s: written from %s (%s)\n", line.value("-o").c_str(), line.positional.c_str(),
                loaded.vbdWeightBits >= 0 ? "VBD export" : loaded.quantized ? (line.has("--folded") ? "FGQ, folded" : "FGQ, exact") : "FP32");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-export: " << e.what() << "\n";
    return 1;
  }
}

// fgq-eval MODEL_FILE [--config CONFIG] [--set key.path=value ...] [--teacher FILE | --no-teacher] [--engine E] [--json]
// Evaluates an FP32 or converted model file on its config's evaluation set.
#include <iostream>

#include "apps/CommandLine.h"
#include "train/ModelFile.h"

namespace {

constexpr const char* kUsage =
    "usage: fgq-eval MODEL_FILE [options]\n"
    "  MODEL_FILE             quantized.safetensors or vbd.safetensors (they carry their config), or a state\n"
    "                         dict (model.safetensors)\n"
    "  --config CONFIG        the experiment config (required for a plain state dict)\n"
    "  --teacher FILE         the FP32 teacher to compare with, instead of the one the model file records\n"
    "  --no-teacher           measure the model alone, without the teacher its file records\n"
    "  --engine E             fp32 (default: as fgq trains it, a converted model fake-quantized), integer (a\n"
    "                         converted FGQ model in integers, ternary layers exact) or integer-folded\n"
    "                         (ternary layers folded to int8 per output channel, on oneDNN)\n"
    "  --set key.path=value   override a config key, e.g. --set data.limit_eval=1000\n"
    "  --json                 print the measures as JSON\n"
    "  --save-outputs FILE    also write the preprocessed images and the logits (safetensors; small sets)\n";

void printText(const nlohmann::json& m) {
  std::printf("%s\n", m["file"].get<std::string>().c_str());
  std::printf("  top-1 %.2f%%   top-5 %.2f%%   loss %.4f   (%ld images)   engine %s, %.0f images/s\n", m["top1"].get<double>(),
              m["top5"].get<double>(), m["loss"].get<double>(), static_cast<long>(m["examples"].get<int64_t>()),
              m["engine"].get<std::string>().c_str(), m["images_per_second"].get<double>());
  if (m.contains("teacher_top1"))
    std::printf("  FP32 teacher top-1 %.2f%%   drop %.2f   agreement %.2f%%   mean |logit diff| %.4f\n",
                m["teacher_top1"].get<double>(), m["drop"].get<double>(), m["agreement"].get<double>(),
                m["logit_l1"].get<double>());
  if (!m.contains("cost")) {
    std::printf("  VBD export: %.3f bits per weight on average (bits.md beside it lists every layer)\n",
                m["average_weight_bits"].get<double>());
    return;
  }
  const auto& c = m["cost"];
  std::printf("  multiplications eliminated %.2f%%   bits per weight %.3f   activation bits %.2f   model %ld bytes (FP32 %ld)\n",
              c["multiplications_eliminated_percent"].get<double>(), c["bits_per_weight"].get<double>(),
              c["activation_bits"].get<double>(), static_cast<long>(c["model_bytes"].get<int64_t>()),
              static_cast<long>(c["fp32_bytes"].get<int64_t>()));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const fgq::CommandLine line = fgq::parseCommandLine(argc, argv, {"--config", "--set", "--save-outputs", "--teacher", "--engine"}, {"--json", "--no-teacher"}, kUsage);
    if (line.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    const nlohmann::json measures = fgq::evaluateModelFile(
        line.positional, {line.value("--config"), line.all("--set"), line.value("--teacher"), line.all("--engine").empty() ? "fp32" : line.value("--engine"), line.has("--no-teacher")}, line.value("--save-outputs"));
    if (line.has("--json"))
      std::cout << measures.dump(2) << "\n";
    else
      printText(measures);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-eval: " << e.what() << "\n";
    return 1;
  }
}

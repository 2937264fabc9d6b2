// fgq-eval MODEL_FILE [--config CONFIG] [--set key.path=value ...] [--json]
// Evaluates an FP32 or converted model file on its config's evaluation set.
#include <iostream>

#include "train/ModelFile.h"

namespace {

constexpr const char* kUsage =
    "usage: fgq-eval MODEL_FILE [options]\n"
    "  MODEL_FILE             quantized.safetensors (carries its config) or a state dict (model.safetensors)\n"
    "  --config CONFIG        the experiment config (required for a plain state dict)\n"
    "  --set key.path=value   override a config key, e.g. --set data.limit_eval=1000\n"
    "  --json                 print the measures as JSON\n";

void printText(const nlohmann::json& m) {
  std::printf("%s\n", m["file"].get<std::string>().c_str());
  std::printf("  top-1 %.2f%%   top-5 %.2f%%   loss %.4f   (%ld images)\n", m["top1"].get<double>(), m["top5"].get<double>(),
              m["loss"].get<double>(), static_cast<long>(m["examples"].get<int64_t>()));
  if (m.contains("teacher_top1"))
    std::printf("  FP32 teacher top-1 %.2f%%   drop %.2f   agreement %.2f%%   mean |logit diff| %.4f\n",
                m["teacher_top1"].get<double>(), m["drop"].get<double>(), m["agreement"].get<double>(),
                m["logit_l1"].get<double>());
  const auto& c = m["cost"];
  std::printf("  multiplications eliminated %.2f%%   bits per weight %.3f   activation bits %.2f   model %ld bytes (FP32 %ld)\n",
              c["multiplications_eliminated_percent"].get<double>(), c["bits_per_weight"].get<double>(),
              c["activation_bits"].get<double>(), static_cast<long>(c["model_bytes"].get<int64_t>()),
              static_cast<long>(c["fp32_bytes"].get<int64_t>()));
}

}  // namespace

int main(int argc, char** argv) {
  std::string modelPath, configPath;
  std::vector<std::string> overrides;
  bool json = false;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw fgq::Error(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--config") {
        configPath = value();
      } else if (arg == "--set") {
        overrides.push_back(value());
      } else if (arg == "--json") {
        json = true;
      } else if (arg.rfind("--", 0) == 0 || !modelPath.empty()) {
        throw fgq::Error("unexpected argument '" + arg + "'\n" + kUsage);
      } else {
        modelPath = arg;
      }
    }
    if (modelPath.empty()) throw fgq::Error(std::string("no model file given\n") + kUsage);
    const nlohmann::json measures = fgq::evaluateModelFile(modelPath, configPath, overrides);
    if (json)
      std::cout << measures.dump(2) << "\n";
    else
      printText(measures);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-eval: " << e.what() << "\n";
    return 1;
  }
}

// fgq-train CONFIG [--set key.path=value ...] [--resume] [--overwrite] [--interrupt-after N]
// Trains (and, with a quantization block, compresses) the model a JSON experiment config describes.
#include <csignal>
#include <cstring>
#include <iostream>

#include "train/Trainer.h"

namespace {

constexpr const char* kUsage =
    "usage: fgq-train CONFIG [options]\n"
    "  --set key.path=value   override a config key (value parsed as JSON, else taken as a string)\n"
    "  --resume               continue the run in the config's output directory from its last checkpoint\n"
    "  --overwrite            start again in an output directory that already holds a run\n"
    "  --interrupt-after N    stop after global step N as a kill would (to try --resume)\n"
    "Ctrl-C stops after the current step and writes a checkpoint; a second Ctrl-C stops at once.\n";

void onInterrupt(int) {
  fgq::requestStop();
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

int main(int argc, char** argv) {
  std::string configPath;
  std::vector<std::string> overrides;
  fgq::RunOptions options;
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
      } else if (arg == "--set") {
        overrides.push_back(value());
      } else if (arg == "--resume") {
        options.resume = true;
      } else if (arg == "--overwrite") {
        options.overwrite = true;
      } else if (arg == "--interrupt-after") {
        options.interruptAfter = std::stoll(value());
      } else if (arg.rfind("--", 0) == 0 || !configPath.empty()) {
        throw fgq::Error("unexpected argument '" + arg + "'\n" + kUsage);
      } else {
        configPath = arg;
      }
    }
    if (configPath.empty()) throw fgq::Error(std::string("no config given\n") + kUsage);
    std::signal(SIGINT, onInterrupt);
    const fgq::Experiment experiment = fgq::parseExperiment(fgq::ConfigNode::load(configPath, overrides));
    const nlohmann::json summary = fgq::runExperiment(experiment, options);
    return summary.value("interrupted", false) ? 130 : 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-train: " << e.what() << "\n";
    return 1;
  }
}

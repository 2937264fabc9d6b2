// fgq-train CONFIG [--set key.path=value ...] [--resume] [--overwrite] [--interrupt-after N]
// Trains (and, with a quantization block, compresses) the model a JSON experiment config describes.
#include <csignal>
#include <iostream>

#include "apps/CommandLine.h"
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
  try {
    const fgq::CommandLine line = fgq::parseCommandLine(argc, argv, {"--set", "--interrupt-after"}, {"--resume", "--overwrite"}, kUsage);
    if (line.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    fgq::RunOptions options;
    options.resume = line.has("--resume");
    options.overwrite = line.has("--overwrite");
    if (!line.value("--interrupt-after").empty()) options.interruptAfter = std::stoll(line.value("--interrupt-after"));
    std::signal(SIGINT, onInterrupt);
    const fgq::Experiment experiment = fgq::parseExperiment(fgq::ConfigNode::load(line.positional, line.all("--set")));
    const nlohmann::json summary = fgq::runExperiment(experiment, options);
    return summary.value("interrupted", false) ? 130 : 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-train: " << e.what() << "\n";
    return 1;
  }
}

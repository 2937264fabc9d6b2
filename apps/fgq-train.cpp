// fgq-train CONFIG [--set key.path=value ...] [--resume] [--overwrite] [--interrupt-after N]
// Trains (and, with a quantization block, compresses) the model a JSON experiment config describes.
// Under mpirun -np K: data-parallel over K processes (docs/distributed.md); rank 0 alone prints.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "core/Communicator.h"
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
  const fgq::Communicator* world = nullptr;
  try {
    world = &fgq::Communicator::world();
    if (!world->isMain()) std::cerr.rdbuf(nullptr);  // progress and logs come from rank 0
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
    // stdio: std::cerr is silent on ranks other than 0, whose errors must still be seen.
    if (world && world->distributed()) {
      std::fprintf(stderr, "fgq-train: rank %d: %s\n", world->rank(), e.what());
      world->abort(1);  // the other ranks would wait in their next collective
    }
    std::fprintf(stderr, "fgq-train: %s\n", e.what());
    return 1;
  }
}

// fgq-report SWEEP_CONFIG [--set key.path=value ...] [--set-runs key.path=value ...]
// Runs a sweep of FGQ conversions (reusing cached points) and writes tables and charts.
#include <iostream>

#include "apps/CommandLine.h"
#include "report/Sweep.h"

int main(int argc, char** argv) {
  constexpr const char* kUsage =
      "usage: fgq-report SWEEP_CONFIG [--set key.path=value ...] [--set-runs key.path=value ...]\n"
      "  --set changes the sweep config; --set-runs changes the config of every run in it (the base, the\n"
      "  fine-tuned and VBD configs): model.weights, data.train_root, data.eval_root, ...\n"
      "  writes results.csv, results.json, report.md and accuracy_vs_mults.{svg,png} into the sweep's output.dir;\n"
      "  points already computed for the same settings and teacher are reused\n";
  try {
    const fgq::CommandLine line = fgq::parseCommandLine(argc, argv, {"--set", "--set-runs"}, {}, kUsage);
    if (line.has("--help")) {
      std::cout << kUsage;
      return 0;
    }
    fgq::SweepOptions options{line.all("--set"), line.all("--set-runs"), "fgq-report" + line.text.substr(line.text.find(' '))};
    fgq::runSweep(line.positional, options);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-report: " << e.what() << "\n";
    return 1;
  }
}

// fgq-report SWEEP_CONFIG [--set key.path=value ...]
// Runs a sweep of FGQ conversions (reusing cached points) and writes tables and charts.
#include <iostream>

#include "core/Error.h"
#include "report/Sweep.h"

int main(int argc, char** argv) {
  constexpr const char* kUsage =
      "usage: fgq-report SWEEP_CONFIG [--set key.path=value ...]\n"
      "  writes results.csv, results.json, report.md and accuracy_vs_mults.{svg,png} into the sweep's output.dir;\n"
      "  points already computed for the same settings and teacher are reused\n";
  std::string sweepPath;
  fgq::SweepOptions options;
  options.command = "fgq-report";
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      options.command += " " + arg;
      if (arg == "--help" || arg == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (arg == "--set" && i + 1 < argc) {
        options.overrides.push_back(argv[++i]);
        options.command += std::string(" ") + argv[i];
      } else if (arg.rfind("--", 0) == 0 || !sweepPath.empty()) {
        throw fgq::Error("unexpected argument '" + arg + "'\n" + kUsage);
      } else {
        sweepPath = arg;
      }
    }
    if (sweepPath.empty()) throw fgq::Error(std::string("no sweep config given\n") + kUsage);
    fgq::runSweep(sweepPath, options);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "fgq-report: " << e.what() << "\n";
    return 1;
  }
}

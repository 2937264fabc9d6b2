#pragma once
// fgq-report's sweep: one base conversion config, varied over group sizes, activation widths and
// batch-norm re-estimation (and extra finished runs, such as fine-tuned models), each point run in
// process. A point's result is cached under a key of its resolved config, the teacher file's content
// and the fingerprint of the code that computes it (report/CodeVersion.h), so a re-run computes only
// what changed, an interrupted sweep continues where it stopped, and a result of older code is never
// republished. results.json records the commit and the fingerprint.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/CodeVersion.h"

namespace fgq {

struct SweepOptions {
  std::vector<std::string> overrides;     // --set on the sweep config
  std::vector<std::string> runOverrides;  // --set-runs on every run's config (data and weight paths)
  std::string command;                 // the command line, recorded in the report
  // Of the code computing the points: the build's (report/CodeVersion.h); tests give another to stand
  // for older code.
  std::string codeFingerprint = fgq::codeFingerprint();
};

// Runs (or reuses) every point and writes results.csv, results.json, report.md and the charts into the
// sweep's output directory. Returns results.json's content.
nlohmann::json runSweep(const std::string& sweepPath, const SweepOptions& options);

}  // namespace fgq

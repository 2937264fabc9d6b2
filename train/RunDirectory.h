#pragma once
// A run's output directory: created and checked before anything runs, never silently reused, and its
// files written whole (temp file, then rename; the metrics log too, rewritten with its new line), so that
// a run killed at any point leaves every file readable.
#include <nlohmann/json.hpp>
#include <string>

#include "train/ExperimentConfig.h"

namespace fgq {

// Creates the directory and removes the temporary files of writes a kill cut short. Starting afresh
// writes config.json and clears metrics.jsonl, and refuses a directory that holds a run unless
// `overwrite`; resuming needs an identical config, and starts afresh (saying so) where no checkpoint was
// saved. Returns whether the run resumes.
bool prepareRunDirectory(const Experiment& e, bool resume, bool overwrite);

void writeJson(const std::string& path, const nlohmann::json& json);
void appendJsonLine(const std::string& path, const nlohmann::json& json);
// Keeps the lines of epochs up to `epoch` (a resumed run writes the rest again).
void truncateMetrics(const std::string& path, int64_t epoch);

}  // namespace fgq

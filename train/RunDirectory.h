#pragma once
// A run's output directory: created and checked before anything runs, never silently reused, and its
// small files written whole (temp file, then rename) or appended a line at a time.
#include <nlohmann/json.hpp>
#include <string>

#include "train/ExperimentConfig.h"

namespace fgq {

// Creates the directory. Starting afresh writes config.json and clears metrics.jsonl, and refuses a
// directory that holds a run unless `overwrite`; resuming needs its checkpoint and an identical config.
void prepareRunDirectory(const Experiment& e, bool resume, bool overwrite);

void writeJson(const std::string& path, const nlohmann::json& json);
void appendJsonLine(const std::string& path, const nlohmann::json& json);
// Keeps the lines of epochs up to `epoch` (a resumed run writes the rest again).
void truncateMetrics(const std::string& path, int64_t epoch);

}  // namespace fgq

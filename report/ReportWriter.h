#pragma once
// The files of a sweep report, from its results: results.json, results.csv (one row per point, the
// settings and every measure), report.md (the paper-style table, the FP32 line, the command, the
// chart) and accuracy_vs_mults.svg/.png (Top-1 against multiplications eliminated, one line per
// activation width, points labelled with N, FP32 as a reference line).
#include <nlohmann/json.hpp>
#include <string>

namespace fgq {

void writeReport(const std::string& directory, const nlohmann::json& results);

}  // namespace fgq

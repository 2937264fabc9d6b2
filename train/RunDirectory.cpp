#include "train/RunDirectory.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/AtomicFile.h"
#include "core/Json.h"
#include "core/ReadFile.h"

namespace fgq {
namespace fs = std::filesystem;

void writeJson(const std::string& path, const nlohmann::json& json) { writeFileAtomically(path, json.dump(2) + "\n"); }

void truncateMetrics(const std::string& path, int64_t epoch) {
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line))
    if (!line.empty() && parseJson(line, path).value("epoch", 0) <= epoch) kept += line + "\n";
  writeFileAtomically(path, kept);
}

void appendJsonLine(const std::string& path, const nlohmann::json& json) {
  const std::string before = fs::exists(path) ? readFile(path, "metrics") : std::string();
  writeFileAtomically(path, before + json.dump() + "\n");
}

bool prepareRunDirectory(const Experiment& e, bool resume, bool overwrite) {
  std::error_code ec;
  fs::create_directories(e.outputDir, ec);
  if (ec || !fs::is_directory(e.outputDir)) throw Error(e.outputDir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
  for (const auto& entry : fs::directory_iterator(e.outputDir))
    if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);  // what a killed write left
  const std::string checkpoint = e.outputDir + "/checkpoint.safetensors";
  if (resume && !fs::exists(checkpoint)) {
    std::cerr << e.outputDir << ": no checkpoint to resume from (the run saved none), starting afresh\n";
    resume = false;
    overwrite = true;
  }
  if (resume) {
    const std::string configFile = e.outputDir + "/config.json";
    const nlohmann::json saved = parseJson(readFile(configFile, "run config"), configFile);
    if (saved != e.resolved) {
      const nlohmann::json diff = nlohmann::json::diff(saved, e.resolved);
      throw Error(e.outputDir + "/config.json: the config differs from the run being resumed (" + diff.dump() + ")");
    }
    return true;
  }
  if (fs::exists(checkpoint) && !overwrite)
    throw Error(e.outputDir + ": holds a run already (checkpoint.safetensors); pass --resume to continue it or --overwrite to start again");
  fs::remove(e.outputDir + "/metrics.jsonl", ec);
  writeJson(e.outputDir + "/config.json", e.resolved);
  return false;
}

}  // namespace fgq

#include "train/RunDirectory.h"

#include <filesystem>
#include <fstream>

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
    if (!line.empty() && nlohmann::json::parse(line).value("epoch", 0) <= epoch) kept += line + "\n";
  writeFileAtomically(path, kept);
}

void appendJsonLine(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::app);
  out << json.dump() << "\n";
  if (!out) throw Error(path + ": cannot append metrics");
}

void prepareRunDirectory(const Experiment& e, bool resume, bool overwrite) {
  std::error_code ec;
  fs::create_directories(e.outputDir, ec);
  if (ec || !fs::is_directory(e.outputDir)) throw Error(e.outputDir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
  const std::string checkpoint = e.outputDir + "/checkpoint.safetensors";
  if (resume) {
    if (!fs::exists(checkpoint)) throw Error(checkpoint + ": nothing to resume (no checkpoint in the output directory)");
    const std::string configFile = e.outputDir + "/config.json";
    const nlohmann::json saved = parseJson(readFile(configFile, "run config"), configFile);
    if (saved != e.resolved) {
      const nlohmann::json diff = nlohmann::json::diff(saved, e.resolved);
      throw Error(e.outputDir + "/config.json: the config differs from the run being resumed (" + diff.dump() + ")");
    }
    return;
  }
  if (fs::exists(checkpoint) && !overwrite)
    throw Error(e.outputDir + ": holds a run already (checkpoint.safetensors); pass --resume to continue it or --overwrite to start again");
  fs::remove(e.outputDir + "/metrics.jsonl", ec);
  writeJson(e.outputDir + "/config.json", e.resolved);
}

}  // namespace fgq

#include "train/TeacherRecord.h"

#include <filesystem>

#include "core/Error.h"
#include "core/FileHash.h"

namespace fgq {
namespace fs = std::filesystem;

nlohmann::json teacherRecord(const std::string& teacherPath, const std::string& modelPath) {
  const fs::path teacher = fs::absolute(teacherPath).lexically_normal();
  const fs::path modelDir = fs::absolute(modelPath).lexically_normal().parent_path();
  return {{"path", teacher.string()}, {"relative_to_model", teacher.lexically_relative(modelDir).string()}, {"hash", fileHash(teacher.string())}};
}

TeacherSearch findTeacher(const nlohmann::json& record, const std::string& modelPath, const std::string& configPath,
                          const std::string& override) {
  if (!override.empty()) {
    if (!fs::exists(override)) throw Error(override + ": teacher file not found (--teacher)");
    return {override, ""};
  }
  std::vector<std::string> candidates;
  if (record.is_object()) {
    candidates.push_back((fs::path(modelPath).parent_path() / record.value("relative_to_model", "")).string());
    candidates.push_back(record.value("path", ""));
  }
  candidates.push_back(configPath);
  for (const std::string& candidate : candidates) {
    if (candidate.empty() || !fs::is_regular_file(candidate)) continue;
    if (record.is_object() && fileHash(candidate) != record.value("hash", ""))
      throw Error(modelPath + ": its teacher " + candidate + " has changed since the conversion (hash " + fileHash(candidate) + ", recorded " +
                  record.value("hash", "") + "); pass --teacher FILE to compare with it anyway, or --no-teacher");
    return {candidate, ""};
  }
  TeacherSearch none;
  for (const std::string& c : candidates)
    if (!c.empty()) none.tried += (none.tried.empty() ? "" : ", ") + c;
  return none;
}

}  // namespace fgq

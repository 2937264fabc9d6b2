#pragma once
// How a compressed model file names its FP32 teacher, so that fgq-eval finds it from any directory:
// {"path": absolute path, "relative_to_model": path from the model file's directory, "hash": FNV-1a
// of its bytes}. A teacher that has changed since the conversion is refused, not silently compared.
#include <nlohmann/json.hpp>
#include <string>

namespace fgq {

nlohmann::json teacherRecord(const std::string& teacherPath, const std::string& modelPath);

// The teacher's file for a model file: `override` when given (its hash unchecked: the user chose it);
// else the recorded path relative to the model file, the absolute one, then `configPath` (the config's
// model.weights as written, for files that predate the record), the first that exists. Throws naming
// the model file when the one found has another hash, or an override does not exist. When none exists,
// `path` is empty and `tried` lists where it looked: a model runs without its teacher.
struct TeacherSearch {
  std::string path, tried;
};
TeacherSearch findTeacher(const nlohmann::json& record, const std::string& modelPath, const std::string& configPath,
                          const std::string& override);

}  // namespace fgq

#pragma once
// The argument parsing the fgq apps share: one positional argument (or, where the app takes them,
// more after it), options that take a value (which may repeat, e.g. --set), and flags. Anything else is an error that shows the usage.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/Error.h"

namespace fgq {

struct CommandLine {
  std::string positional;
  std::vector<std::string> more;  // positional arguments after the first, for apps that take them
  std::map<std::string, std::vector<std::string>> values;  // "--set" -> every value given
  std::set<std::string> flags;
  std::string text;  // the command as typed, for reports

  const std::vector<std::string>& all(const std::string& option) const {
    static const std::vector<std::string> kNone;
    auto it = values.find(option);
    return it == values.end() ? kNone : it->second;
  }
  std::string value(const std::string& option) const { return all(option).empty() ? "" : all(option).back(); }
  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
};

inline CommandLine parseCommandLine(int argc, char** argv, const std::set<std::string>& valueOptions,
                                    const std::set<std::string>& flagOptions, const std::string& usage, bool takesMore = false) {
  CommandLine line;
  line.text = argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    line.text += " " + arg;
    if (arg == "--help" || arg == "-h") {
      line.flags.insert("--help");
    } else if (valueOptions.count(arg)) {
      if (i + 1 >= argc) throw Error(arg + " needs a value\n" + usage);
      line.values[arg].push_back(argv[++i]);
      line.text += std::string(" ") + argv[i];
    } else if (flagOptions.count(arg)) {
      line.flags.insert(arg);
    } else if (arg.rfind("--", 0) == 0 || (!line.positional.empty() && !takesMore)) {
      throw Error("unexpected argument '" + arg + "'\n" + usage);
    } else if (!line.positional.empty()) {
      line.more.push_back(arg);
    } else {
      line.positional = arg;
    }
  }
  if (line.positional.empty() && !line.has("--help")) throw Error("missing argument\n" + usage);
  return line;
}

}  // namespace fgq

// Crash safety of runs: fgq-train killed with SIGKILL at each named kill point (core/KillPoint.h) leaves
// every file of its output directory readable and, resumed, ends with the parameters of an
// uninterrupted run, bit for bit. The runs are real processes: a kill takes no destructor and no flush.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "TempDir.h"
#include "core/Json.h"
#include "core/ReadFile.h"
#include "core/Safetensors.h"

extern char** environ;

using namespace fgq;
namespace fs = std::filesystem;

namespace {

// A short Fashion-MNIST run: 2 epochs of 6 steps, checkpoints after steps 4, 6 (epoch end), 8 and 12.
std::vector<std::string> trainCommand(const std::string& out, bool resume) {
  std::vector<std::string> argv = {FGQ_TRAIN_BINARY, std::string(FGQ_CONFIGS_DIR) + "/fmnist_resnet20_fp32.json",
                                   "--set", "train.epochs=2", "--set", "train.batch_size=16", "--set", "data.limit_train=96",
                                   "--set", "data.limit_eval=64", "--set", "train.eval_batch_size=64",
                                   "--set", "train.checkpoint_every_steps=4", "--set", "output.dir=" + out};
  if (resume) argv.push_back("--resume");
  return argv;
}

// Runs the command with FGQ_KILL_AT=killAt (when not empty), its output to `log`; returns its wait status.
int run(const std::vector<std::string>& command, const std::string& killAt, const std::string& log) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "FGQ_KILL_AT=", 12) != 0) env.emplace_back(*e);
  if (!killAt.empty()) env.push_back("FGQ_KILL_AT=" + killAt);
  auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> p;
    for (std::string& s : strings) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };
  std::vector<std::string> args = command;
  std::vector<char*> argv = pointers(args), envp = pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

// Every file but a write's temporary one parses as what its name says.
void checkReadable(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string path = entry.path().string(), ext = entry.path().extension().string();
    INFO(path);
    if (ext == ".tmp") continue;
    if (ext == ".safetensors") CHECK_NOTHROW(loadSafetensors(path));
    if (ext == ".json") CHECK_NOTHROW(parseJson(readFile(path, "run file"), path));
    if (ext == ".jsonl") {
      std::ifstream in(path);
      for (std::string line; std::getline(in, line);) CHECK_NOTHROW(parseJson(line, path));
    }
  }
}

int lineCount(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

}  // namespace

TEST_CASE("fgq-train killed at every named kill point resumes to an uninterrupted run's parameters, every file readable") {
  testing::TempDir dir;
  const std::string log = dir / "log.txt";
  REQUIRE(run(trainCommand(dir / "whole", false), "", log) == 0);
  const TensorFile whole = loadSafetensors(dir / "whole/model.safetensors");

  const char* killPoints[] = {"step#2",  // before the first checkpoint: --resume starts afresh
                              "step#9",  // inside a step, between checkpoints
                              "write:checkpoint.safetensors#2", "write:metrics.jsonl#1", "write:best.safetensors#2",
                              "write:model.safetensors#1", "write:summary.json#1"};
  int index = 0;
  for (const std::string point : killPoints) {
    INFO("killed at " << point);
    const std::string out = dir / ("killed_" + std::to_string(index++));
    fs::remove_all(out);
    const int killed = run(trainCommand(out, false), point, log);
    REQUIRE(WIFSIGNALED(killed));
    CHECK(WTERMSIG(killed) == SIGKILL);
    CHECK_FALSE(fs::exists(out + "/summary.json"));
    checkReadable(out);

    REQUIRE(run(trainCommand(out, true), "", log) == 0);
    checkReadable(out);
    for (const auto& entry : fs::directory_iterator(out)) CHECK(entry.path().extension() != ".tmp");
    CHECK(lineCount(out + "/metrics.jsonl") == 2);
    const TensorFile resumed = loadSafetensors(out + "/model.safetensors");
    REQUIRE(resumed.tensors.size() == whole.tensors.size());
    for (const auto& [name, t] : whole.tensors) {
      INFO(name);
      CHECK(std::memcmp(t.raw(), resumed.tensors.at(name).raw(), t.bytes()) == 0);
    }
  }
}

// fgq-report end to end on a tiny model: the CSV row equals fgq-eval's measures of the same file, a
// re-run computes nothing, and bad sweeps are named.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>

#include "ErrorOf.h"
#include "TempDir.h"
#include "report/Sweep.h"
#include "train/ModelFile.h"
#include "train/Trainer.h"

using namespace fgq;
using testing::errorOf;
namespace fs = std::filesystem;

namespace {

// A 2-class image folder, a trained tiny teacher, a conversion config and a sweep config over it.
struct TinySweep {
  testing::TempDir dir;
  std::string sweepPath;

  TinySweep() {
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 16; ++i) {
        fs::create_directories(dir / ("data/c" + std::to_string(c)));
        cv::imwrite(dir / ("data/c" + std::to_string(c) + "/" + std::to_string(i) + ".png"),
                    cv::Mat(8, 8, CV_8UC1, cv::Scalar(c * 100 + i * 7)));
      }
    nlohmann::json config = nlohmann::json::parse(R"({
      "name": "tiny", "model": {"arch": "resnet20", "in_channels": 1, "num_classes": 2, "input_size": 8},
      "data": {"dataset": "image_folder", "normalize": {"mean": [0.5], "std": [0.25]}},
      "train": {"epochs": 1, "batch_size": 8, "eval_batch_size": 16},
      "optimizer": {"lr": 0.05, "momentum": 0.9}})");
    config["data"]["train_root"] = config["data"]["eval_root"] = dir / "data";
    config["output"]["dir"] = dir / "teacher";
    runExperiment(parseExperiment(ConfigNode::fromJson(config, "teacher.json")), {});
    config["train"] = {{"epochs", 0}, {"eval_batch_size", 16}};
    config.erase("optimizer");
    config["model"]["weights"] = dir / "teacher/model.safetensors";
    config["quantization"] = {{"calibration", {{"images", 8}, {"recipe", "plain"}}}};
    std::ofstream(dir / "convert.json") << config.dump();
    sweepPath = dir / "sweep.json";
    std::ofstream(sweepPath) << nlohmann::json{{"name", "tiny_sweep"},
                                               {"base", "convert.json"},
                                               {"group_sizes", {4, "filter"}},
                                               {"activation_bits", {8}},
                                               {"output", {{"dir", dir / "report"}}}}
                                    .dump();
  }
};


}  // namespace

TEST_CASE("a sweep's CSV numbers equal fgq-eval's for the same converted file, carry the integer engines' images/s, and a re-run reuses every point") {
  TinySweep s;
  const nlohmann::json results = runSweep(s.sweepPath, {});
  for (const char* file : {"results.csv", "results.json", "report.md", "accuracy_vs_mults.svg", "accuracy_vs_mults.png"})
    CHECK(fs::exists(s.dir / ("report/" + std::string(file))));
  const nlohmann::json& row = results["rows"][0];
  const nlohmann::json eval = evaluateModelFile(row["model_file"], {});
  CHECK(row["top1"] == eval["top1"]);
  CHECK(row["top5"] == eval["top5"]);
  CHECK(row["agreement"] == eval["agreement"]);
  CHECK(row["teacher_top1"] == eval["teacher_top1"]);
  CHECK(row["mults_eliminated_percent"] == eval["cost"]["multiplications_eliminated_percent"]);
  CHECK(row["bits_per_weight"] == eval["cost"]["bits_per_weight"]);
  CHECK(row["integer_images_per_second"].get<double>() > 0);
  CHECK(row["folded_images_per_second"].get<double>() > 0);
  std::ifstream md(s.dir / "report/report.md");
  CHECK(std::string(std::istreambuf_iterator<char>(md), {}).find("| img/s exact | img/s folded |") != std::string::npos);
  std::ifstream csv(s.dir / "report/results.csv");
  std::string header, first;
  std::getline(csv, header);
  std::getline(csv, first);
  CHECK(first.find("\"N=4, a8\",fgq,4,8,exact,true,") == 0);

  const auto written = fs::last_write_time(row["model_file"].get<std::string>());
  const nlohmann::json again = runSweep(s.sweepPath, {});
  CHECK(again["rows"] == results["rows"]);
  CHECK(fs::last_write_time(row["model_file"].get<std::string>()) == written);  // nothing recomputed
  // A changed setting computes only the new point.
  const nlohmann::json changed = runSweep(s.sweepPath, {{"activation_bits=[8, 4]"}, {}, ""});
  CHECK(changed["rows"].size() == 4);
  CHECK(fs::last_write_time(row["model_file"].get<std::string>()) == written);
  // --set-runs reaches every run's config: another calibration sample recomputes every point.
  const nlohmann::json recalibrated = runSweep(s.sweepPath, {{}, {"quantization.calibration.seed=5"}, ""});
  CHECK(recalibrated["rows"][0]["cache_key"] != results["rows"][0]["cache_key"]);
  CHECK(fs::last_write_time(row["model_file"].get<std::string>()) != written);
}

TEST_CASE("a sweep recomputes the points cached by other code, and records the code and commit") {
  TinySweep s;
  SweepOptions older;
  older.codeFingerprint = "older code";
  const nlohmann::json first = runSweep(s.sweepPath, older);
  CHECK(first["code_fingerprint"] == "older code");
  const std::string modelFile = first["rows"][0]["model_file"];
  const auto written = fs::last_write_time(modelFile);
  const nlohmann::json current = runSweep(s.sweepPath, {});
  CHECK(current["code_fingerprint"] == codeFingerprint());
  CHECK(std::string(codeFingerprint()).size() == 64);
  CHECK(current["commit"].get<std::string>() != "");
  CHECK(current["rows"][0]["cache_key"] != first["rows"][0]["cache_key"]);
  CHECK(fs::last_write_time(modelFile) != written);  // computed again, not republished
}

TEST_CASE("bad sweeps: no group sizes, a missing teacher, an unwritable output directory") {
  TinySweep s;
  CHECK(errorOf([&] { runSweep(s.sweepPath, {{"group_sizes=[]"}, {}, ""}); }).find("sweep.json: group_sizes: needs at least one group size") !=
        std::string::npos);
  std::ofstream(s.dir / "file") << "x";
  CHECK(errorOf([&] { runSweep(s.sweepPath, {{"output.dir=" + (s.dir / "file/report")}, {}, ""}); })
            .find("file/report: cannot create the report directory") != std::string::npos);
  fs::remove(s.dir / "teacher/model.safetensors");
  CHECK(errorOf([&] { runSweep(s.sweepPath, {}); }).find("teacher/model.safetensors: teacher checkpoint not found") !=
        std::string::npos);
}

TEST_CASE("a sweep's few-image points read K images each, and the report charts Top-1 against K") {
  TinySweep s;
  nlohmann::json vbd = nlohmann::json::parse(std::ifstream(s.dir / "convert.json"));
  vbd.erase("quantization");
  vbd["vbd"] = {{"gamma", 0.1}, {"batch_size", 8}, {"synthetic_images", 0}, {"steps", {{"per_tensor", 2}, {"per_channel", 1}, {"final", 2}}}};
  std::ofstream(s.dir / "vbd.json") << vbd.dump();
  const nlohmann::json results = runSweep(
      s.sweepPath, {{"group_sizes=[4]", "vbd={\"config\": \"vbd.json\", \"gammas\": [0.1]}",
                     "few_images={\"images\": [0, 1, 3], \"draws\": 2, \"group_sizes\": [4], \"vbd_images\": [1, 3]}"},
                    {}, ""});
  int64_t fgq = 0, vbdRows = 0;
  for (const auto& row : results["rows"]) {
    if (row["kind"] != "fgq-few-images" && row["kind"] != "vbd-few-images") continue;
    (row["kind"] == "vbd-few-images" ? vbdRows : fgq) += 1;
    CHECK(row["images_read"] == row["images"]);
  }
  CHECK(fgq == 5);  // K = 0 once, K = 1 and 3 from two draws each
  CHECK(vbdRows == 4);
  std::ifstream in(s.dir / "report/report.md");
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(report.find("## From few unlabeled images") != std::string::npos);
  CHECK(report.find("| images | FGQ N=4 | VBD |") != std::string::npos);
  CHECK(report.find("\n| 0 | ") != std::string::npos);
  CHECK(fs::exists(s.dir / "report/accuracy_vs_images.png"));
  CHECK(fs::exists(s.dir / "report/accuracy_vs_images.svg"));
}

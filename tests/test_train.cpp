// The experiment runner: strict configs, resume after a kill, and bad input named on one line.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <opencv2/imgcodecs.hpp>

#include "ErrorOf.h"
#include "TempDir.h"
#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "layers/Modules.h"
#include "train/Checkpoint.h"
#include "train/EarlyStopping.h"
#include "train/ModelFile.h"
#include "train/Trainer.h"

using namespace fgq;
using testing::errorOf;
namespace fs = std::filesystem;

namespace {

void writeTinyDataset(const std::string& root) {
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 20; ++i) {
      const std::string dir = root + "/c" + std::to_string(c);
      fs::create_directories(dir);
      cv::Mat image(10, 10, CV_8UC1, cv::Scalar(c * 120 + i * 5));
      cv::imwrite(dir + "/" + std::to_string(i) + ".png", image);
    }
}

// Like writeTinyDataset, with texture: class 0 horizontal stripes, class 1 vertical, each image with its
// own phase, contrast and noise (flat images give a teacher whose activations a few bits cannot hold).
void writeTexturedDataset(const std::string& root) {
  cv::RNG rng(7);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 20; ++i) {
      const std::string dir = root + "/c" + std::to_string(c);
      fs::create_directories(dir);
      cv::Mat image(10, 10, CV_8UC1);
      const double phase = rng.uniform(0.0, 6.28), contrast = rng.uniform(40.0, 100.0);
      for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 10; ++x)
          image.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(128 + contrast * std::sin((c ? x : y) * 1.5 + phase) + rng.gaussian(12));
      cv::imwrite(dir + "/" + std::to_string(i) + ".png", image);
    }
}

nlohmann::json tinyConfig(const std::string& data, const std::string& out) {
  nlohmann::json config = nlohmann::json::parse(R"({
    "name": "tiny",
    "model": {"arch": "resnet20", "in_channels": 1, "num_classes": 2, "input_size": 8},
    "data": {"dataset": "image_folder", "normalize": {"mean": [0.5], "std": [0.25]},
             "train_transforms": {"random_crop": {"size": 8, "padding": 1}, "hflip": true},
             "eval_transforms": {"center_crop": 8}},
    "train": {"epochs": 2, "batch_size": 8, "eval_batch_size": 16, "seed": 3, "checkpoint_every_steps": 3},
    "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-4},
    "schedule": {"type": "cosine", "warmup_epochs": 0.4}
  })");
  config["data"]["train_root"] = data;
  config["data"]["eval_root"] = data;
  config["output"]["dir"] = out;
  return config;
}

Experiment parse(const nlohmann::json& json) { return parseExperiment(ConfigNode::fromJson(json, "tiny.json")); }

// Trains the tiny teacher for one epoch into dir/teacher.
void trainTinyTeacher(const testing::TempDir& dir) {
  nlohmann::json teacher = tinyConfig(dir / "data", dir / "teacher");
  teacher["train"]["epochs"] = 1;
  runExperiment(parse(teacher), {});
}

// A config that compresses the tiny teacher (add a quantization or vbd block), writing to dir/out.
nlohmann::json compressionConfig(const testing::TempDir& dir, const std::string& out) {
  nlohmann::json c = tinyConfig(dir / "data", dir / out);
  c["train"] = {{"epochs", 0}, {"eval_batch_size", 16}};
  c.erase("optimizer");
  c.erase("schedule");
  c["model"]["weights"] = dir / "teacher/model.safetensors";
  return c;
}


}  // namespace

TEST_CASE("a run killed mid-epoch and resumed ends with bit-identical parameters") {
  testing::TempDir dir;
  writeTinyDataset(dir / "data");
  const Experiment whole = parse(tinyConfig(dir / "data", dir / "whole"));
  const Experiment split = parse(tinyConfig(dir / "data", dir / "split"));
  runExperiment(whole, {});

  // 5 steps an epoch; checkpoints after steps 3, 5 (epoch end) and 6; killed after step 7.
  CHECK(runExperiment(split, {false, false, 7}).value("interrupted", false));
  CHECK_FALSE(fs::exists(dir / "split/summary.json"));
  const nlohmann::json summary = runExperiment(split, {true, false, -1});

  const TensorFile a = loadSafetensors(dir / "whole/model.safetensors");
  const TensorFile b = loadSafetensors(dir / "split/model.safetensors");
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    INFO(name);
    CHECK(std::memcmp(t.raw(), b.tensors.at(name).raw(), t.bytes()) == 0);
  }
  std::ifstream splitMetrics(dir / "split/metrics.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(splitMetrics, line)) ++lines;
  CHECK(lines == 2);
  CHECK(summary["final_top1"] == nlohmann::json::parse(std::ifstream(dir / "whole/summary.json"))["final_top1"]);
}

TEST_CASE("config errors name the file and key path") {
  testing::TempDir dir;
  std::ofstream(dir / "bad.json") << "{\"name\": \"x\",";
  CHECK(errorOf([&] { ConfigNode::load(dir / "bad.json"); }).find("bad.json: malformed JSON") != std::string::npos);
  CHECK(errorOf([&] { ConfigNode::load(dir / "none.json"); }).find("none.json: cannot open config file") != std::string::npos);
  // Hostile configs: 100,000 nested brackets (copying the parsed value recursed until the stack overflowed)
  // and a number beyond a double, in the file and in --set.
  std::ofstream(dir / "deep.json") << std::string(100'000, '[') << std::string(100'000, ']');
  CHECK(errorOf([&] { ConfigNode::load(dir / "deep.json"); }).find("deep.json: malformed JSON: nested deeper than 100 levels") !=
        std::string::npos);
  std::ofstream(dir / "huge.json") << R"({"name": "x", "train": {"epochs": 1e309}})";
  CHECK(errorOf([&] { ConfigNode::load(dir / "huge.json"); }).find("huge.json: malformed JSON") != std::string::npos);
  std::ofstream(dir / "ok.json") << tinyConfig(dir / "data", dir / "out").dump();
  CHECK(errorOf([&] { ConfigNode::load(dir / "ok.json", {"train.epochs=" + std::string(1000, '[') + std::string(1000, ']')}); })
            .find("--set train.epochs: malformed JSON: nested deeper") != std::string::npos);
  CHECK(errorOf([&] { parseExperiment(ConfigNode::load(dir / "ok.json", {"train.epochs=1e309"})); })
            .find("train.epochs: expected an integer, found string \"1e309\"") != std::string::npos);
  // A bare word in --set becomes a string without the parser's UTF-8 check (fuzz_config's finding:
  // describing it in an error threw from nlohmann's serializer).
  CHECK(errorOf([&] { parseExperiment(ConfigNode::load(dir / "ok.json", {"train.epochs=\xff\xfe"})); }) == "--set train.epochs: not valid UTF-8");

  nlohmann::json config = tinyConfig(dir / "data", dir / "out");
  config["train"]["epoch"] = 3;
  CHECK(errorOf([&] { parse(config); }) == "tiny.json: unknown key 'train.epoch' (known here: batch_size, checkpoint_every_steps, "
                                           "epochs, eval_batch_size, label_smoothing, seed)");
  config = tinyConfig(dir / "data", dir / "out");
  config["train"]["epochs"] = "18";
  CHECK(errorOf([&] { parse(config); }) == "tiny.json: train.epochs: expected an integer, found string \"18\"");
  config = tinyConfig(dir / "data", dir / "out");
  config["optimizer"]["type"] = "rmsprop";
  CHECK(errorOf([&] { parse(config); }).find("optimizer.type: unknown optimizer 'rmsprop'") != std::string::npos);
  config = tinyConfig(dir / "data", dir / "out");
  config["data"]["normalize"]["std"] = {0.0};
  CHECK(errorOf([&] { parse(config); }).find("data.normalize.std: values must be positive") != std::string::npos);
  config = tinyConfig(dir / "data", dir / "out");
  config["model"]["weights"] = "teacher.onnx";
  CHECK(errorOf([&] { parse(config); }).find("model.arch: 'resnet20' with the ONNX file 'teacher.onnx': its architecture is in the file") != std::string::npos);
  config["model"]["arch"] = "onnx";
  config["model"]["weights"] = "teacher.safetensors";
  CHECK(errorOf([&] { parse(config); }).find("model.weights: arch \"onnx\" reads the model from an .onnx file") != std::string::npos);
  config.erase("name");
  CHECK(errorOf([&] { parse(config); }) == "tiny.json: name: required key is missing");
}

TEST_CASE("--set overrides any key, creating nested ones, and values parse as JSON") {
  testing::TempDir dir;
  std::ofstream(dir / "c.json") << tinyConfig(dir / "data", dir / "out").dump();
  const Experiment e = parseExperiment(ConfigNode::load(
      dir / "c.json", {"train.epochs=5", "optimizer.lr=0.2", "name=renamed", "schedule.min_lr=0.001"}));
  CHECK(e.train.epochs == 5);
  CHECK(e.optimizer.lr == 0.2);
  CHECK(e.name == "renamed");
  CHECK(e.schedule.minLr == 0.001);
  CHECK(e.resolved["train"]["label_smoothing"] == 0.0);  // defaults recorded
  CHECK(errorOf([&] { ConfigNode::load(dir / "c.json", {"train.epochs"}); }).find("expected key.path=value") != std::string::npos);
}

TEST_CASE("bad input to a run: missing data, unwritable output, mismatched or damaged checkpoints") {
  testing::TempDir dir;
  writeTinyDataset(dir / "data");
  CHECK(errorOf([&] { runExperiment(parse(tinyConfig(dir / "nodata", dir / "out")), {}); }).find("nodata: image folder not found") !=
        std::string::npos);

  std::ofstream(dir / "file") << "x";
  CHECK(errorOf([&] { runExperiment(parse(tinyConfig(dir / "data", dir / "file/out")), {}); })
            .find("file/out: cannot create output directory") != std::string::npos);

  nlohmann::json config = tinyConfig(dir / "data", dir / "run");
  config["train"]["epochs"] = 1;
  runExperiment(parse(config), {});
  CHECK(errorOf([&] { runExperiment(parse(config), {}); }).find("holds a run already") != std::string::npos);
  config["optimizer"]["lr"] = 0.01;
  CHECK(errorOf([&] { runExperiment(parse(config), {true, false, -1}); }).find("config differs from the run being resumed") !=
        std::string::npos);

  // A checkpoint whose tensor has the wrong shape, or lacks one: named, and the file is left as it was.
  const std::string checkpoint = dir / "run/checkpoint.safetensors";
  TensorFile file = loadSafetensors(checkpoint);
  file.tensors["model.fc.weight"] = Tensor::zeros({3, 64});
  saveSafetensors(checkpoint, file.tensors, file.metadata);
  const auto sizeBefore = fs::file_size(checkpoint);
  config["optimizer"]["lr"] = 0.05;
  CHECK(errorOf([&] { runExperiment(parse(config), {true, false, -1}); }) ==
        checkpoint + ": tensor 'fc.weight' has shape [3, 64], expected [2, 64]");
  CHECK(fs::file_size(checkpoint) == sizeBefore);
  file.tensors.erase("model.fc.weight");
  saveSafetensors(checkpoint, file.tensors, file.metadata);
  CHECK(errorOf([&] { runExperiment(parse(config), {true, false, -1}); }) ==
        checkpoint + ": missing tensor 'fc.weight' (expected shape [2, 64])");
}

TEST_CASE("conversion configs: bad group size, solver, bits, keep_layers, calibration folder and teacher are named") {
  testing::TempDir dir;
  writeTinyDataset(dir / "data");
  trainTinyTeacher(dir);

  auto conversion = [&] {
    nlohmann::json c = compressionConfig(dir, "convert");
    c["quantization"] = {{"weights", {{"group_size", 4}}}, {"calibration", {{"images", 1}, {"recipe", "plain"}}}};
    return c;
  };
  nlohmann::json c = conversion();
  const nlohmann::json summary = runExperiment(parse(c), {false, true, -1});
  CHECK(summary.contains("teacher_top1"));  // a conversion from a single calibration image works

  c["quantization"]["weights"]["group_size"] = 0;
  CHECK(errorOf([&] { parse(c); }) == "tiny.json: quantization.weights.group_size: group size must be positive, found 0");
  c["quantization"]["weights"]["group_size"] = -8;
  CHECK(errorOf([&] { parse(c); }).find("group size must be positive, found -8") != std::string::npos);
  c = conversion();
  c["quantization"]["weights"]["solver"] = "greedy";
  CHECK(errorOf([&] { parse(c); }).find("quantization.weights.solver: unknown ternary solver 'greedy'") != std::string::npos);
  c = conversion();
  c["quantization"]["activations"] = {{"bits", 1}};
  CHECK(errorOf([&] { parse(c); }).find("quantization.activations.bits: must be 0 (FP32 activations) or 2..16, found 1") !=
        std::string::npos);
  c = conversion();
  c["quantization"]["weights"]["keep_layers"] = {"layer9.*"};
  CHECK(errorOf([&] { runExperiment(parse(c), {false, true, -1}); }).find("keep_layers pattern 'layer9.*' matches no conv") !=
        std::string::npos);
  c = conversion();
  fs::create_directories(dir / "empty");
  c["quantization"]["calibration"]["folder"] = dir / "empty";
  CHECK(errorOf([&] { runExperiment(parse(c), {false, true, -1}); }).find("empty: no images") != std::string::npos);
  std::ofstream(dir / "empty/broken.jpg") << "not a jpeg";
  CHECK(errorOf([&] { runExperiment(parse(c), {false, true, -1}); }).find("broken.jpg: cannot decode image") != std::string::npos);
  c = conversion();
  c["model"]["num_classes"] = 3;
  CHECK(errorOf([&] { runExperiment(parse(c), {false, true, -1}); }).find("data: 2 classes, but model.num_classes is 3") !=
        std::string::npos);
}

TEST_CASE("vbd configs: negative gamma, bits out of range, a second compression block, no teacher") {
  testing::TempDir dir;
  auto vbd = [&] {
    nlohmann::json c = compressionConfig(dir, "vbd");
    c["vbd"] = {{"gamma", 0.1}};
    return c;
  };
  nlohmann::json c = vbd();
  CHECK_NOTHROW(parse(c));
  c["vbd"]["gamma"] = -0.5;
  CHECK(errorOf([&] { parse(c); }).find("tiny.json: vbd.gamma: must be >= 0") == 0);
  c = vbd();
  c["vbd"]["initial_bits"] = 0;
  CHECK(errorOf([&] { parse(c); }).find("vbd.initial_bits: bits must be in 1..16") != std::string::npos);
  c = vbd();
  c["vbd"]["edge_bits"] = 40;
  CHECK(errorOf([&] { parse(c); }).find("vbd.edge_bits: bits must be in 1..16") != std::string::npos);
  c = vbd();
  c["quantization"] = nlohmann::json::object();
  CHECK(errorOf([&] { parse(c); }).find("either a quantization (FGQ) block or a vbd block") != std::string::npos);
  c = vbd();
  c["model"].erase("weights");
  CHECK(errorOf([&] { parse(c); }).find("vbd: compresses a trained model: model.weights must name it") != std::string::npos);
}

TEST_CASE("fgq-eval on a VBD export reproduces the run's numbers") {
  testing::TempDir dir;
  writeTinyDataset(dir / "data");
  trainTinyTeacher(dir);
  nlohmann::json c = compressionConfig(dir, "vbd");
  c["vbd"] = {{"gamma", 0.1}, {"images", 4}, {"holdout_views", 8}, {"batch_size", 8}, {"synthetic_images", 16}, {"synthesis_steps", 50},
              {"steps", {{"per_tensor", 3}, {"per_channel", 2}, {"final", 2}}}};
  const nlohmann::json summary = runExperiment(parse(c), {});
  const nlohmann::json eval = evaluateModelFile(dir / "vbd/vbd.safetensors", {});
  CHECK(eval["quantized"] == true);
  CHECK(eval["top1"] == summary["final_top1"]);
  CHECK(eval["agreement"] == summary["agreement"]);
  CHECK(eval["logit_l1"] == summary["logit_l1"]);
  CHECK(eval["average_weight_bits"] == doctest::Approx(summary["bits"]["average_weight_bits"].get<double>()));
}

TEST_CASE("a VBD run lowers the average bit depth and keeps its logits near the teacher's") {
  testing::TempDir dir;
  writeTexturedDataset(dir / "data");
  trainTinyTeacher(dir);
  nlohmann::json c = compressionConfig(dir, "vbd");
  c["vbd"] = {{"gamma", 0.1}, {"images", 4}, {"holdout_views", 8}, {"batch_size", 8}, {"lr", {{"bits", 0.05}}},
              {"steps", {{"per_tensor", 60}, {"per_channel", 20}, {"final", 20}}}};
  const nlohmann::json summary = runExperiment(parse(c), {});
  const double bits = summary["bits"]["average_bits"], distance = summary["logit_l1"];
  // The bound is relative to the size of the teacher's logits on the same images.
  evaluateModelFile(dir / "teacher/model.safetensors", {dir / "teacher/config.json", {}, ""}, dir / "teacher_logits.safetensors");
  const std::vector<float> logits = loadSafetensors(dir / "teacher_logits.safetensors").tensors.at("logits").toVector();
  double teacherLogits = 0;
  for (float v : logits) teacherLogits += std::abs(v) / static_cast<double>(logits.size());
  MESSAGE("average bits " << bits << ", logit L1 " << distance << " (teacher's mean |logit| " << teacherLogits << "), agreement "
                          << summary["agreement"].get<double>());
  CHECK(bits < 7.0);  // every tensor starts at 8 bits or more
  CHECK(distance < 0.25 * teacherLogits);
  CHECK(summary["agreement"].get<double>() >= 90.0);
  CHECK(summary["export_max_abs_difference"].get<double>() == 0);
}

TEST_CASE("VBD's objective rounding lowers a bit depth only where the held-out objective falls, by one bit from ceil(B); "
          "a bit budget takes bits until the average fits it and gives bits where they fit under it; a budget under 1 bit is refused") {
  testing::TempDir dir;
  writeTexturedDataset(dir / "data");
  trainTinyTeacher(dir);
  auto run = [&](const std::string& rounding, std::optional<double> budget) {
    nlohmann::json c = compressionConfig(dir, "vbd_" + rounding + (budget ? "_budget" + std::to_string(*budget) : ""));
    c["vbd"] = {{"gamma", 1.0}, {"images", 4}, {"holdout_views", 8}, {"batch_size", 8}, {"lr", {{"bits", 0.05}}}, {"bit_rounding", rounding}, {"synthetic_images", 0},
                {"steps", {{"per_tensor", 40}, {"per_channel", 10}, {"final", 0}}}};
    if (budget) c["vbd"]["max_average_bits"] = *budget;
    return runExperiment(parse(c), {});
  };
  const nlohmann::json up = run("up", std::nullopt);
  // Every depth of a run against the rounded-up ones: how many bits lower, each one.
  auto lowerThanUp = [&](const nlohmann::json& run) {
    std::vector<double> differences;
    for (const auto& [layer, bits] : up["bits"]["layers"].items())
      for (const auto& [key, b] : bits.items()) differences.push_back(b.get<double>() - run["bits"]["layers"][layer][key].get<double>());
    return differences;
  };

  {  // objective rounding
    const nlohmann::json chosen = run("objective", std::nullopt);
    const nlohmann::json& r = chosen["bit_rounding"];
    MESSAGE("fractional " << r["fractional"] << ", rounded down " << r["rounded_down"] << ", objective " << r["objective_up"] << " -> "
                          << r["objective_chosen"]);
    CHECK(r["objective_up"].get<double>() == doctest::Approx(up["bit_rounding"]["objective_up"].get<double>()));
    CHECK(r["rounded_down"].get<int64_t>() > 0);
    CHECK(r["objective_chosen"].get<double>() < r["objective_up"].get<double>());
    int64_t lowered = 0;
    for (double difference : lowerThanUp(chosen)) {
      CHECK((difference == 0 || difference == 1));
      lowered += difference == 1;
    }
    CHECK(lowered == r["rounded_down"].get<int64_t>());
  }
  // Bits taken less bits given, per tensor, add up to how far the average fell from the rounded-up one.
  auto fitted = [&](double budget) {
    const nlohmann::json result = run("up", budget);
    const nlohmann::json& b = result["bit_rounding"]["budget"];
    MESSAGE("average " << up["bits"]["average_bits"] << " bits rounded up; budget " << budget << ": " << b["bits_taken"] << " bits taken, "
                       << b["bits_given"] << " given, " << result["bits"]["average_bits"] << " bits, held-out error " << b["heldout_error_before"]
                       << " -> " << b["heldout_error_after"]);
    CHECK(b["average_before"].get<double>() == doctest::Approx(up["bits"]["average_bits"].get<double>()));
    CHECK(result["bits"]["average_bits"].get<double>() <= budget);
    double net = 0;
    for (double difference : lowerThanUp(result)) net += difference;
    CHECK(net == b["bits_taken"].get<int64_t>() - b["bits_given"].get<int64_t>());
    return b;
  };
  const double upBits = up["bits"]["average_bits"];
  CHECK(fitted(upBits - 0.5)["bits_taken"].get<int64_t>() > 0);
  const nlohmann::json room = fitted(upBits + 0.3);
  CHECK(room["bits_taken"].get<int64_t>() == 0);
  CHECK(room["bits_given"].get<int64_t>() > 0);
  CHECK(room["heldout_error_after"].get<double>() < room["heldout_error_before"].get<double>());
  CHECK_THROWS_WITH_AS(run("up", 0.5), doctest::Contains("max_average_bits"), Error);
}

TEST_CASE("a compressed model finds its teacher from any directory; a changed teacher is refused; --teacher overrides; without one it is measured alone") {
  testing::TempDir dir;
  writeTinyDataset(dir / "data");
  trainTinyTeacher(dir);
  nlohmann::json c = compressionConfig(dir, "fgq");
  c["model"]["weights"] = "teacher/model.safetensors";  // relative to where the conversion runs
  c["output"]["dir"] = "fgq";
  c["quantization"] = {{"calibration", {{"images", 8}}}};
  const fs::path before = fs::current_path();
  fs::current_path(dir.str());
  const nlohmann::json summary = runExperiment(parse(c), {});
  fs::create_directories(dir / "elsewhere");
  fs::current_path(dir / "elsewhere");
  const nlohmann::json eval = evaluateModelFile("../fgq/quantized.safetensors", {});
  CHECK(eval["teacher_top1"] == summary["teacher_top1"]);
  CHECK(eval["agreement"] == summary["agreement"]);
  fs::current_path(before);
  fs::copy_file(dir / "teacher/model.safetensors", dir / "teacher_copy.safetensors");
  {
    std::fstream f(dir / "teacher/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');  // one byte of the last weight
  }
  const std::string model = dir / "fgq/quantized.safetensors";
  CHECK(errorOf([&] { evaluateModelFile(model, {}); }).find("has changed since the conversion") != std::string::npos);
  const nlohmann::json without = evaluateModelFile(model, {"", {}, "", "fp32", true});
  CHECK(without["top1"] == summary["final_top1"]);
  CHECK_FALSE(without.contains("agreement"));
  const nlohmann::json overridden = evaluateModelFile(model, {"", {}, dir / "teacher_copy.safetensors"});
  CHECK(overridden["teacher_top1"] == summary["teacher_top1"]);
  fs::remove(dir / "teacher/model.safetensors");
  const nlohmann::json alone = evaluateModelFile(model, {});  // a model runs without its teacher
  CHECK(alone["top1"] == summary["final_top1"]);
  CHECK_FALSE(alone.contains("agreement"));
}

TEST_CASE("calibration reads exactly K distinct images (seeded), and with none synthesizes inputs and says so") {
  testing::TempDir dir;
  writeTexturedDataset(dir / "data");
  trainTinyTeacher(dir);
  nlohmann::json c = compressionConfig(dir, "fgq");
  for (int64_t k : {1, 3}) {
    c["quantization"] = {{"bn_statistics", "correct"}, {"calibration", {{"images", k}, {"views", 4}, {"batch_size", 16}}}};
    const nlohmann::json summary = runExperiment(parse(c), RunOptions{false, true, -1});
    CHECK(summary["calibration_images"] == k);
    CHECK(summary["calibration_views"] == 4);
    CHECK(summary["calibration_mode"] == "images and synthesized");  // the few-image recipe: views, synthesized inputs, distillation
    c["quantization"]["calibration"]["views"] = "auto";  // enough views for 256 samples
    CHECK(parse(c).quantization->views() == (256 + k - 1) / k);
  }
  c["quantization"] = {{"calibration", {{"images", 0}, {"synthetic_images", 8}, {"synthesis_steps", 30}}}};
  const nlohmann::json synthesized = runExperiment(parse(c), RunOptions{false, true, -1});
  CHECK(synthesized["calibration_images"] == 0);
  CHECK(synthesized["calibration_mode"] == "synthesized");
  CHECK(synthesized["agreement"].get<double>() > 50.0);

  nlohmann::json v = compressionConfig(dir, "vbd");
  v["vbd"] = {{"gamma", 0.1}, {"images", 3}, {"holdout_views", 8}, {"batch_size", 8}, {"synthesis_steps", 20},
              {"steps", {{"per_tensor", 2}, {"per_channel", 1}, {"final", 2}}}};
  CHECK(runExperiment(parse(v), {})["images"] == 3);
}

TEST_CASE("few-image batch-norm distillation trains only gamma and beta, and keeps its best held-out state") {
  testing::TempDir dir;
  writeTexturedDataset(dir / "data");
  trainTinyTeacher(dir);
  auto convert = [&](const std::string& out, int64_t steps, double lr) {
    nlohmann::json c = compressionConfig(dir, out);
    c["quantization"] = {{"bn_statistics", "correct"},
                         {"calibration", {{"images", 2}, {"views", 8}, {"batch_size", 16}}},
                         {"distillation", {{"steps", steps}, {"lr", lr}, {"batch_size", 8}, {"eval_every_steps", 5}, {"patience", 2}}}};
    const nlohmann::json summary = runExperiment(parse(c), {});
    return std::pair{summary, loadSafetensors((dir / out) + "/quantized.safetensors").tensors};
  };
  const auto [plain, before] = convert("plain", 0, 1e-2);
  const auto [distilled, after] = convert("distilled", 40, 1e-2);
  CHECK(plain["bn_distillation"].is_null());
  CHECK(distilled["calibration_images"] == 2);  // the distillation's views are of the same two images
  const double start = distilled["bn_distillation"]["holdout_l1_before"].get<double>();
  const double best = distilled["bn_distillation"]["holdout_l1_after"].get<double>();
  MESSAGE("held-out L1 " << start << " -> " << best << ", logit L1 on the test set " << plain["logit_l1"].get<double>() << " -> "
                         << distilled["logit_l1"].get<double>());
  CHECK(best < start);
  std::set<std::string> affineNames;
  const auto model = createModel("resnet20", parse(compressionConfig(dir, "plain")).model.options);
  for (auto& [name, module] : model->namedModules())
    if (dynamic_cast<BatchNorm2d*>(module)) affineNames.insert({name + ".weight", name + ".bias"});
  int64_t changed = 0;
  for (const auto& [name, t] : before) {
    const bool affine = affineNames.contains(name);
    const bool same = compare(t, after.at(name)).maxAbsDiff == 0;
    if (!same) ++changed;
    if (!affine) CHECK_MESSAGE(same, name << " changed");
  }
  CHECK(changed > 0);
}

TEST_CASE("early stopping says stop after `patience` checks without improvement and restores the best state") {
  Random random(3);
  Linear layer(2, 1, random);
  EarlyStopping stopping(2);
  auto setWeight = [&](float w) { fill(layer.weight.tensor(), w); };
  const std::vector<std::pair<float, double>> checks{{1.0f, 3.0}, {2.0f, 2.0}, {3.0f, 2.5}, {4.0f, 2.0}};
  std::vector<bool> stops;
  for (const auto& [weight, error] : checks) {
    setWeight(weight);
    stops.push_back(stopping.stop(error, layer));
  }
  CHECK(stops == std::vector<bool>{false, false, false, true});  // 2.0 again is no improvement
  CHECK(stopping.best() == 2.0);
  stopping.restoreBest(layer);
  CHECK(layer.weight.tensor().data<float>()[0] == 2.0f);
}

TEST_CASE("calibration.recipe: auto takes the few-image recipe below 256 images and plain re-estimation from 256, keys override it") {
  testing::TempDir dir;
  nlohmann::json c = compressionConfig(dir, "fgq");
  auto quantization = [&](const nlohmann::json& block) {
    c["quantization"] = block;
    return *parse(c).quantization;
  };
  for (int64_t k : {0, 1, 8, 255}) {
    const QuantizationConfig q = quantization({{"calibration", {{"images", k}}}});
    CHECK(q.fewImageRecipe);
    CHECK(q.bnStatistics == BnStatistics::kCorrect);
    CHECK(q.views() == (k > 0 ? (256 + k - 1) / k : 1));
    CHECK(q.mixSynthetic == (k > 0));
    CHECK(q.distillation.steps == (k > 0 ? 200 : 0));
  }
  for (const nlohmann::json& block : {nlohmann::json{{"calibration", {{"images", 256}}}}, nlohmann::json{{"calibration", {{"images", 4}, {"recipe", "plain"}}}}}) {
    const QuantizationConfig q = quantization(block);
    CHECK_FALSE(q.fewImageRecipe);
    CHECK(q.bnStatistics == BnStatistics::kReestimate);
    CHECK(q.views() == 1);
    CHECK_FALSE(q.mixSynthetic);
    CHECK(q.distillation.steps == 0);
  }
  const QuantizationConfig q = quantization({{"calibration", {{"images", 1}, {"views", 3}, {"mix_synthetic", false}}}, {"distillation", {{"steps", 0}}},
                                             {"bn_statistics", "reestimate"}});
  CHECK(q.views() == 3);
  CHECK_FALSE(q.mixSynthetic);
  CHECK(q.distillation.steps == 0);
  CHECK(q.bnStatistics == BnStatistics::kReestimate);
  CHECK(errorOf([&] { quantization({{"calibration", {{"recipe", "few"}}}}); }).find("recipe") != std::string::npos);
}

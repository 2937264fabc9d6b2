#include "report/Sweep.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/AtomicFile.h"
#include "core/FileHash.h"
#include "core/Json.h"
#include "core/ReadFile.h"
#include "report/CodeVersion.h"
#include "report/ReportWriter.h"
#include "infer/TernaryConv.h"
#include "train/ModelFile.h"
#include "train/Trainer.h"

namespace fgq {
namespace fs = std::filesystem;

namespace {

struct Point {
  std::string label;                   // "N=4, a8"
  nlohmann::json settings;             // what varies
  std::vector<std::string> overrides;  // applied to the config
  std::string config;                  // empty: the sweep's base
};

std::string groupText(const nlohmann::json& g) { return g.is_string() ? g.get<std::string>() : std::to_string(g.get<int64_t>()); }

std::vector<Point> points(const ConfigNode& sweep) {
  const nlohmann::json groups = sweep.raw("group_sizes", nlohmann::json::array());
  if (!groups.is_array() || groups.empty()) sweep.fail("group_sizes", "needs at least one group size");
  const auto bits = sweep.get<std::vector<int64_t>>("activation_bits", {8});
  if (bits.empty()) sweep.fail("activation_bits", "needs at least one width");
  const std::string solver = sweep.get<std::string>("solver", "exact");
  const nlohmann::json without = sweep.raw("without_bn_reestimation", nlohmann::json::array());
  std::vector<Point> out;
  auto add = [&](const nlohmann::json& group, int64_t b, bool bn) {
    if (!group.is_string() && !group.is_number_integer()) sweep.fail("group_sizes", "entries are integers, \"filter\" or \"layer\"");
    const std::string n = groupText(group);
    out.push_back({"N=" + n + ", a" + std::to_string(b) + (bn ? "" : ", no BN re-est."),
                   {{"kind", "fgq"}, {"group_size", n}, {"activation_bits", b}, {"solver", solver}, {"bn_reestimation", bn}},
                   {"quantization.weights.group_size=" + group.dump(), "quantization.activations.bits=" + std::to_string(b),
                    "quantization.weights.solver=" + solver, std::string("quantization.bn_reestimation=") + (bn ? "true" : "false")},
                   ""});
  };
  for (int64_t b : bits)
    for (const auto& g : groups) add(g, b, true);
  for (const auto& g : without) add(g, bits.front(), false);
  return out;
}

std::string relativeTo(const std::string& sweepPath, const std::string& path) {
  if (std::filesystem::path(path).is_relative() && !std::filesystem::exists(path))
    return (std::filesystem::path(sweepPath).parent_path() / path).string();
  return path;
}

// Finished-run points: fine-tuned FGQ configs, and a VBD config over a list of gammas.
std::vector<Point> runPoints(const ConfigNode& sweep, const std::string& sweepPath) {
  std::vector<Point> out;
  const nlohmann::json finetuned = sweep.raw("finetuned", nlohmann::json::array());
  if (!finetuned.is_array()) sweep.fail("finetuned", "expected an array of {label, config}");
  for (const auto& f : finetuned) {
    const bool setOk = !f.contains("set") || (f["set"].is_array() && std::all_of(f["set"].begin(), f["set"].end(),
                                                                                 [](const nlohmann::json& v) { return v.is_string(); }));
    if (!f.is_object() || !f.contains("label") || !f.contains("config") || !f["label"].is_string() || !f["config"].is_string() ||
        !setOk || f.size() != 2u + f.contains("set"))
      sweep.fail("finetuned", "entries are {\"label\": ..., \"config\": ..., \"set\": [\"key.path=value\", ...] (optional)}");
    out.push_back({f["label"], {{"kind", "fgq-finetuned"}}, f.value("set", std::vector<std::string>{}), relativeTo(sweepPath, f["config"])});
  }
  if (sweep.has("vbd")) {
    const ConfigNode vbd = sweep.child("vbd");
    const std::string config = relativeTo(sweepPath, vbd.require<std::string>("config"));
    const auto gammas = vbd.require<std::vector<double>>("gammas");
    if (gammas.empty()) vbd.fail("gammas", "needs at least one gamma");
    for (double g : gammas) {
      char label[64];
      std::snprintf(label, sizeof label, "VBD gamma=%g", g);
      out.push_back({label, {{"kind", "vbd"}, {"gamma", g}}, {"vbd.gamma=" + nlohmann::json(g).dump()}, config});
    }
  }
  return out;
}

// The few-image points: FGQ conversions of the base config from K unlabeled images (each K > 0 from
// `draws` seeded draws; K = 0 synthesizes its inputs), and VBD runs of the sweep's VBD config from K
// images in total.
std::vector<Point> fewImagePoints(const ConfigNode& sweep, const std::string& sweepPath) {
  std::vector<Point> out;
  if (!sweep.has("few_images")) return out;
  const ConfigNode few = sweep.child("few_images");
  const auto images = few.require<std::vector<int64_t>>("images");
  const auto groups = few.get<std::vector<int64_t>>("group_sizes", {4, 64});
  const int64_t bits = few.get<int64_t>("activation_bits", 8), draws = few.get<int64_t>("draws", 3);
  const auto vbdImages = few.get<std::vector<int64_t>>("vbd_images", {});
  if (images.empty() || std::any_of(images.begin(), images.end(), [](int64_t k) { return k < 0; }))
    few.fail("images", "needs counts >= 0 (0: synthesized inputs)");
  if (draws < 1) few.fail("draws", "must be positive");
  if (std::any_of(vbdImages.begin(), vbdImages.end(), [](int64_t k) { return k < 1; })) few.fail("vbd_images", "VBD needs at least 1 image");
  if (!vbdImages.empty() && !sweep.has("vbd")) few.fail("vbd_images", "needs the sweep's vbd block (its config)");
  for (int64_t n : groups)
    for (int64_t k : images)
      for (int64_t d = 0; d < (k == 0 ? 1 : draws); ++d)
        out.push_back({"few N=" + std::to_string(n) + " K=" + std::to_string(k) + " draw " + std::to_string(d),
                       {{"kind", "fgq-few-images"}, {"group_size", std::to_string(n)}, {"activation_bits", bits}, {"images", k}, {"draw", d}},
                       {"quantization.weights.group_size=" + std::to_string(n), "quantization.activations.bits=" + std::to_string(bits),
                        "quantization.calibration.images=" + std::to_string(k), "quantization.calibration.seed=" + std::to_string(d)},
                       ""});
  const std::string vbdConfig = vbdImages.empty() ? "" : relativeTo(sweepPath, sweep.child("vbd").require<std::string>("config"));
  for (int64_t k : vbdImages)
    for (int64_t d = 0; d < draws; ++d)
      out.push_back({"few VBD K=" + std::to_string(k) + " draw " + std::to_string(d),
                     {{"kind", "vbd-few-images"}, {"images", k}, {"draw", d}},
                     {"vbd.images=" + std::to_string(k), "vbd.seed=" + std::to_string(d)},
                     vbdConfig});
  return out;
}

std::string slug(const std::string& label) {
  std::string s;
  for (char c : label) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

// What the multiplications eliminated buy here: the converted model's images/s in the integer engine,
// exact and folded (its evaluation set, model time only), or nulls on a CPU without AVX-512 VNNI.
nlohmann::json engineSpeeds(const std::string& modelFile, const std::vector<std::string>& overrides) {
  nlohmann::json out = {{"integer", nullptr}, {"integer-folded", nullptr}};
  if (!infer::cpuHasVnni()) return out;
  for (const char* engine : {"integer", "integer-folded"}) out[engine] = evaluateModelFile(modelFile, {"", overrides, "", engine})["images_per_second"];
  return out;
}

// A row of results.csv: the settings and the measures of section 3.
nlohmann::json rowOf(const Point& p, const nlohmann::json& summary, const std::string& key, const std::string& modelFile) {
  nlohmann::json row = p.settings;
  row["label"] = p.label;
  for (const char* k : {"teacher_top1", "drop", "agreement", "logit_l1"}) row[k] = summary.value(k, nlohmann::json());
  row["top1"] = summary["final_top1"];
  row["top5"] = summary["final_top5"];
  row["cache_key"] = key;
  row["model_file"] = modelFile;
  const bool vbd = summary.value("kind", "") == "vbd";
  row["images_read"] = summary.value(vbd ? "images" : "calibration_images", nlohmann::json());
  if (vbd) {
    const auto& bits = summary["bits"];
    row["average_bits"] = bits["average_bits"];
    row["bits_per_weight"] = bits["average_weight_bits"];
    row["activation_bits_avg"] = bits["average_activation_bits"];
    row["layer_bits"] = bits["layers"];
    return row;
  }
  const auto& cost = summary["cost"];
  row["mults_eliminated_percent"] = cost["multiplications_eliminated_percent"];
  row["bits_per_weight"] = cost["bits_per_weight"];
  row["activation_bits_avg"] = cost["activation_bits"];
  row["model_bytes"] = cost["model_bytes"];
  row["fp32_bytes"] = cost["fp32_bytes"];
  const nlohmann::json speeds = summary.value("engine_images_per_second", nlohmann::json::object());
  row["integer_images_per_second"] = speeds.value("integer", nlohmann::json());
  row["folded_images_per_second"] = speeds.value("integer-folded", nlohmann::json());
  return row;
}

}  // namespace

nlohmann::json runSweep(const std::string& sweepPath, const SweepOptions& options) {
  const ConfigNode sweep = ConfigNode::load(sweepPath, options.overrides);
  const std::string name = sweep.require<std::string>("name");
  const std::string base = relativeTo(sweepPath, sweep.require<std::string>("base"));
  const std::string outputDir = sweep.child("output").get<std::string>("dir", "reports/" + name);
  std::vector<Point> sweepPoints = points(sweep);
  for (Point& p : runPoints(sweep, sweepPath)) sweepPoints.push_back(std::move(p));
  for (Point& p : fewImagePoints(sweep, sweepPath)) sweepPoints.push_back(std::move(p));
  sweep.finish();

  std::error_code ec;
  fs::create_directories(fs::path(outputDir) / "cache", ec);
  if (ec || !fs::is_directory(fs::path(outputDir) / "cache"))
    throw Error(outputDir + ": cannot create the report directory" + (ec ? ": " + ec.message() : ""));

  auto loadRun = [&](const std::string& path, const std::vector<std::string>& overrides) {
    std::vector<std::string> all = options.runOverrides;
    all.insert(all.end(), overrides.begin(), overrides.end());
    return parseExperiment(ConfigNode::load(path, all));
  };
  const Experiment baseExperiment = loadRun(base, {});
  if (baseExperiment.model.weights.empty()) throw Error(base + ": model.weights must name the teacher checkpoint");
  if (!fs::exists(baseExperiment.model.weights)) throw Error(baseExperiment.model.weights + ": teacher checkpoint not found");
  const std::string teacherHash = fileHash(baseExperiment.model.weights);

  nlohmann::json rows = nlohmann::json::array();
  int computed = 0;
  for (size_t i = 0; i < sweepPoints.size(); ++i) {
    Point& p = sweepPoints[i];
    std::vector<std::string> overrides = p.overrides;
    const std::string pointDir = (fs::path(outputDir) / "points" / slug(p.label)).string();
    overrides.push_back("output.dir=" + pointDir);
    const Experiment e = loadRun(p.config.empty() ? base : p.config, overrides);
    if (e.model.weights != baseExperiment.model.weights)
      throw Error((p.config.empty() ? base : p.config) + ": model.weights must be the sweep's teacher (" + baseExperiment.model.weights + ")");
    if (p.settings["kind"] == "fgq-finetuned" && e.quantization) {
      p.settings["group_size"] = e.quantization->fgq.groups.str();
      p.settings["activation_bits"] = e.quantization->fgq.activationBits;
      p.settings["solver"] = ternarySolverName(e.quantization->fgq.solver);
      p.settings["bn_reestimation"] = e.quantization->bnReestimation;
    }
    nlohmann::json keyed = e.resolved;
    keyed["output"].erase("dir");
    const std::string key = hex64(fnv1a64(keyed.dump() + teacherHash + options.codeFingerprint));
    const std::string cacheFile = (fs::path(outputDir) / "cache" / (key + ".json")).string();
    const std::string modelFile = pointDir + (e.vbd ? "/vbd.safetensors" : "/quantized.safetensors");
    nlohmann::json summary;
    if (fs::exists(cacheFile) && fs::exists(modelFile)) {
      summary = parseJson(readFile(cacheFile, "cached sweep point"), cacheFile);
      std::cerr << "[" << i + 1 << "/" << sweepPoints.size() << "] " << p.label << ": cached\n";
    } else {
      std::cerr << "[" << i + 1 << "/" << sweepPoints.size() << "] " << p.label << ": converting\n";
      summary = runExperiment(e, RunOptions{false, true, -1});
      writeFileAtomically(cacheFile, summary.dump(2));
      ++computed;
    }
    if (p.settings["kind"] == "fgq" && !summary.contains("engine_images_per_second")) {
      summary["engine_images_per_second"] = engineSpeeds(modelFile, options.runOverrides);
      writeFileAtomically(cacheFile, summary.dump(2));
    }
    rows.push_back(rowOf(p, summary, key, modelFile));
  }
  const nlohmann::json results = {{"name", name},
                                  {"command", options.command},
                                  {"base_config", base},
                                  {"commit", sourceCommit()},
                                  {"code_fingerprint", options.codeFingerprint},
                                  {"teacher", {{"file", baseExperiment.model.weights}, {"top1", rows[0]["teacher_top1"]}}},
                                  {"rows", rows}};
  writeReport(outputDir, results);
  std::cerr << "report: " << rows.size() << " points (" << computed << " computed, " << rows.size() - computed
            << " from the cache) in " << outputDir << "\n";
  return results;
}

}  // namespace fgq

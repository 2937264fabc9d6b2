#include "report/ReportWriter.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <map>
#include <set>

#include "core/AtomicFile.h"
#include "report/Chart.h"

namespace fgq {
namespace {

const char* kColumns[] = {"label", "kind", "group_size", "activation_bits", "solver", "bn_reestimation", "gamma", "images", "draw", "images_read", "top1", "top5", "drop",
                          "agreement", "logit_l1", "mults_eliminated_percent", "bits_per_weight", "activation_bits_avg", "average_bits",
                          "model_bytes", "fp32_bytes", "integer_images_per_second", "folded_images_per_second", "teacher_top1", "cache_key", "model_file"};

std::string csvCell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    return s.find_first_of(",\"") == std::string::npos ? s : "\"" + s + "\"";
  }
  if (v.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.10g", v.get<double>());
    return buffer;
  }
  return v.dump();
}

std::string fixed(const nlohmann::json& v, int digits) {
  if (!v.is_number()) return "–";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v.get<double>());
  return buffer;
}

// Sort key of a group size: numbers in order, then filter, then layer.
double groupOrder(const std::string& g) { return g == "filter" ? 1e9 : g == "layer" ? 2e9 : std::stod(g); }

std::string table(const nlohmann::json& rows, const std::vector<int64_t>& widths, bool bn) {
  std::string md = "| N |";
  for (int64_t b : widths) md += " Top-1 " + std::to_string(b) + "-bit act. | drop |";
  md += " mults eliminated | bits / weight | img/s exact | img/s folded |\n|---|";
  for (size_t i = 0; i < widths.size(); ++i) md += "---|---|";
  md += "---|---|---|---|\n";
  std::map<double, std::string> groups;
  for (const auto& r : rows)
    if (r["kind"] == "fgq" && r["bn_reestimation"] == bn) groups[groupOrder(r["group_size"])] = r["group_size"];
  for (const auto& [order, g] : groups) {
    md += "| " + g + " |";
    const nlohmann::json* any = nullptr;
    for (int64_t b : widths) {
      const nlohmann::json* hit = nullptr;
      for (const auto& r : rows)
        if (r["kind"] == "fgq" && r["group_size"] == g && r["activation_bits"] == b && r["bn_reestimation"] == bn) hit = &r;
      md += hit ? " " + fixed((*hit)["top1"], 2) + " | " + fixed((*hit)["drop"], 2) + " |" : " – | – |";
      if (hit) any = hit;
    }
    md += " " + fixed((*any)["mults_eliminated_percent"], 1) + "% | " + fixed((*any)["bits_per_weight"], 2) + " | " +
          fixed((*any)["integer_images_per_second"], 0) + " | " + fixed((*any)["folded_images_per_second"], 0) + " |\n";
  }
  return md;
}

// The VBD part of a report, when the sweep has VBD runs: accuracy against average bits (one point per
// gamma), the learned bit depth of each layer for the run with the fewest bits, and their table.
std::string writeVbdCharts(const std::string& dir, const nlohmann::json& results) {
  std::vector<const nlohmann::json*> vbd;
  for (const auto& r : results["rows"])
    if (r["kind"] == "vbd") vbd.push_back(&r);
  if (vbd.empty()) return "";
  ChartSpec accuracy;
  accuracy.title = results["name"].get<std::string>() + ": VBD accuracy against average bit depth";
  accuracy.xLabel = "average bits (weights and activations)";
  accuracy.yLabel = "Top-1 (%)";
  accuracy.referenceY = results["teacher"]["top1"].get<double>();
  accuracy.referenceLabel = "FP32 " + fixed(results["teacher"]["top1"], 2) + "%";
  ChartSeries series{"VBD", {}, {}, {}};
  std::sort(vbd.begin(), vbd.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["average_bits"].get<double>() < (*b)["average_bits"].get<double>();
  });
  std::string md = "## Variable bit depth (VBD)\n\n| gamma | Top-1 | drop | average bits | weight bits | activation bits |\n|---|---|---|---|---|---|\n";
  for (const auto* r : vbd) {
    char gamma[32];
    std::snprintf(gamma, sizeof gamma, "%g", (*r)["gamma"].get<double>());
    series.x.push_back((*r)["average_bits"]);
    series.y.push_back((*r)["top1"]);
    series.labels.push_back(std::string("gamma=") + gamma);
    md += std::string("| ") + gamma + " | " + fixed((*r)["top1"], 2) + " | " + fixed((*r)["drop"], 2) + " | " + fixed((*r)["average_bits"], 2) +
          " | " + fixed((*r)["bits_per_weight"], 2) + " | " + fixed((*r)["activation_bits_avg"], 2) + " |\n";
  }
  accuracy.series.push_back(series);
  writeFileAtomically(dir + "/accuracy_vs_bits.svg", renderSvg(accuracy));
  writePng(accuracy, dir + "/accuracy_vs_bits.png");

  const nlohmann::json& fewest = *vbd.front();
  ChartSpec layers;
  layers.title = "Learned bit depth per layer (" + fewest["label"].get<std::string>() + ")";
  layers.xLabel = "";
  layers.yLabel = "bits";
  layers.bars = true;
  ChartSeries weightBits{"weights", {}, {}, {}}, inputBits{"inputs", {}, {}, {}};
  double position = 0;
  for (const auto& [layer, b] : fewest["layer_bits"].items()) {
    weightBits.x.push_back(position);
    inputBits.x.push_back(position);
    weightBits.y.push_back(b.value("weight_bits", 0.0));
    inputBits.y.push_back(b.value("input_bits", 0.0));
    weightBits.labels.push_back(layer);
    position += 1;
  }
  layers.series = {weightBits, inputBits};
  writeFileAtomically(dir + "/vbd_layer_bits.svg", renderSvg(layers));
  writePng(layers, dir + "/vbd_layer_bits.png");
  md += "\n![accuracy against average bits](accuracy_vs_bits.png)\n\n![bit depth per layer](vbd_layer_bits.png)\n\n";
  return md;
}

// Mean, lowest and highest of the values.
struct Spread {
  double mean = 0, min = INFINITY, max = -INFINITY;
  int64_t count = 0;
  void add(double v) {
    mean = (mean * static_cast<double>(count) + v) / static_cast<double>(count + 1);
    min = std::min(min, v);
    max = std::max(max, v);
    ++count;
  }
  std::string text() const { return fixed(mean, 2) + " (" + fixed(min, 2) + "–" + fixed(max, 2) + ")"; }
};

// The few-image part of a report: Top-1 (mean over draws) against the number of unlabeled images, one
// series for each FGQ group size and one for VBD, and their table with the spread over draws.
std::string writeFewImagesChart(const std::string& dir, const nlohmann::json& results) {
  std::map<std::string, std::map<int64_t, Spread>> top1, bits;  // series -> K -> over draws
  std::set<int64_t> counts;
  for (const auto& r : results["rows"]) {
    const bool vbd = r["kind"] == "vbd-few-images";
    if (r["kind"] != "fgq-few-images" && !vbd) continue;
    const std::string series = vbd ? "VBD" : "FGQ N=" + r["group_size"].get<std::string>();
    const int64_t k = r["images"];
    counts.insert(k);
    top1[series][k].add(r["top1"]);
    if (vbd) bits[series][k].add(r["average_bits"]);
  }
  if (counts.empty()) return "";
  std::map<int64_t, double> position;
  ChartSpec chart;
  for (int64_t k : counts) {
    position[k] = static_cast<double>(position.size());
    chart.xTicks.emplace_back(position[k], std::to_string(k));
  }
  chart.title = results["name"].get<std::string>() + ": Top-1 against the number of unlabeled images";
  chart.xLabel = "unlabeled images (0: inputs synthesized from the FP32 model; mean over draws)";
  chart.yLabel = "Top-1 (%)";
  chart.referenceY = results["teacher"]["top1"].get<double>();
  chart.referenceLabel = "FP32 " + fixed(results["teacher"]["top1"], 2) + "%";
  std::string md = "## From few unlabeled images\n\nTop-1 by number of distinct unlabeled images read, mean (lowest–highest) over seeded draws";
  md += "; VBD with its average bits:\n\n| images |";
  for (const auto& [series, byK] : top1) md += " " + series + " |";
  md += "\n|---|";
  for (size_t i = 0; i < top1.size(); ++i) md += "---|";
  md += "\n";
  for (int64_t k : counts) {
    md += "| " + std::to_string(k) + " |";
    for (const auto& [series, byK] : top1) {
      const auto hit = byK.find(k);
      md += hit == byK.end() ? " – |" : " " + hit->second.text() + (bits.contains(series) ? ", " + fixed(bits[series][k].mean, 2) + " bits" : "") + " |";
    }
    md += "\n";
  }
  for (const auto& [series, byK] : top1) {
    ChartSeries s{series, {}, {}, {}};
    for (const auto& [k, spread] : byK) {
      s.x.push_back(position[k]);
      s.y.push_back(spread.mean);
    }
    chart.series.push_back(s);
  }
  writeFileAtomically(dir + "/accuracy_vs_images.svg", renderSvg(chart));
  writePng(chart, dir + "/accuracy_vs_images.png");
  return md + "\n![Top-1 against the number of unlabeled images](accuracy_vs_images.png)\n\n";
}

}  // namespace

void writeReport(const std::string& dir, const nlohmann::json& results) {
  const nlohmann::json& rows = results["rows"];
  writeFileAtomically(dir + "/results.json", results.dump(2) + "\n");

  std::string csv;
  for (const char* c : kColumns) csv += std::string(csv.empty() ? "" : ",") + c;
  csv += "\n";
  for (const auto& r : rows) {
    std::string line;
    for (const char* c : kColumns) line += std::string(line.empty() ? "" : ",") + csvCell(r.value(c, nlohmann::json()));
    csv += line + "\n";
  }
  writeFileAtomically(dir + "/results.csv", csv);

  std::set<int64_t> widthSet;
  for (const auto& r : rows)
    if (r["kind"] == "fgq") widthSet.insert(r["activation_bits"].get<int64_t>());
  const std::vector<int64_t> widths(widthSet.rbegin(), widthSet.rend());
  const double fp32 = results["teacher"]["top1"];

  ChartSpec chart;
  chart.title = results["name"].get<std::string>() + ": FGQ accuracy against multiplications eliminated";
  chart.xLabel = "multiplications eliminated (%)";
  chart.yLabel = "Top-1 (%)";
  chart.referenceY = fp32;
  chart.referenceLabel = "FP32 " + fixed(fp32, 2) + "%";
  for (int64_t b : widths) {
    ChartSeries s;
    s.name = std::to_string(b) + "-bit activations";
    std::vector<const nlohmann::json*> points;
    for (const auto& r : rows)
      if (r["kind"] == "fgq" && r["activation_bits"] == b && r["bn_reestimation"] == true) points.push_back(&r);
    std::sort(points.begin(), points.end(), [](const nlohmann::json* a, const nlohmann::json* c) {
      return (*a)["mults_eliminated_percent"].get<double>() < (*c)["mults_eliminated_percent"].get<double>();
    });
    for (auto* r : points) {
      s.x.push_back((*r)["mults_eliminated_percent"]);
      s.y.push_back((*r)["top1"]);
      s.labels.push_back("N=" + (*r)["group_size"].get<std::string>());
    }
    if (!s.x.empty()) chart.series.push_back(s);
  }
  ChartSeries finetuned{"after fine-tuning", {}, {}, {}};
  for (const auto& r : rows)
    if (r["kind"] == "fgq-finetuned") {
      finetuned.x.push_back(r["mults_eliminated_percent"]);
      finetuned.y.push_back(r["top1"]);
      finetuned.labels.push_back("N=" + r["group_size"].get<std::string>());
    }
  if (!finetuned.x.empty()) chart.series.push_back(finetuned);
  writeFileAtomically(dir + "/accuracy_vs_mults.svg", renderSvg(chart));
  writePng(chart, dir + "/accuracy_vs_mults.png");
  const std::string vbdSection = writeVbdCharts(dir, results), fewImagesSection = writeFewImagesChart(dir, results);

  std::string md = "# " + results["name"].get<std::string>() + "\n\n";
  md += "FP32 teacher (`" + results["teacher"]["file"].get<std::string>() + "`): Top-1 **" + fixed(fp32, 2) + "%**.\n\n";
  md += "FGQ ternary weights without retraining, batch norm re-estimated (first conv and last layer int8):\n\n";
  md += table(rows, widths, true);
  bool anyWithout = false;
  for (const auto& r : rows) anyWithout = anyWithout || r.value("bn_reestimation", true) == false;
  if (anyWithout) md += "\nWithout batch-norm re-estimation:\n\n" + table(rows, {widths.front()}, false);
  bool anyFinetuned = false;
  for (const auto& r : rows) anyFinetuned = anyFinetuned || r["kind"] == "fgq-finetuned";
  if (anyFinetuned) {
    md += "\nAfter distillation fine-tuning:\n\n| run | N | act. bits | Top-1 | drop | mults eliminated | bits / weight |\n|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows)
      if (r["kind"] == "fgq-finetuned")
        md += "| " + r["label"].get<std::string>() + " | " + r["group_size"].get<std::string>() + " | " + std::to_string(r["activation_bits"].get<int64_t>()) +
              " | " + fixed(r["top1"], 2) + " | " + fixed(r["drop"], 2) + " | " + fixed(r["mults_eliminated_percent"], 1) + "% | " +
              fixed(r["bits_per_weight"], 2) + " |\n";
  }
  md += "\n![accuracy against multiplications eliminated](accuracy_vs_mults.png)\n\n";
  md += vbdSection + fewImagesSection;
  md += "Produced by `" + results["command"].get<std::string>() + "`; every number is in results.csv.\n";
  writeFileAtomically(dir + "/report.md", md);
}

}  // namespace fgq

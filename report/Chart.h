#pragma once
// Line and bar charts for reports, laid out once and drawn twice: as SVG text (opens in any browser)
// and as a PNG through OpenCV's drawing functions. Point labels are placed where they overlap neither
// each other nor the points; the y axis spans the data (and the reference line), not zero.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fgq {

struct ChartSeries {
  std::string name;
  std::vector<double> x, y;
  std::vector<std::string> labels;  // one per point, or empty
};

struct ChartSpec {
  std::string title, xLabel, yLabel;
  std::vector<ChartSeries> series;
  std::optional<double> referenceY;  // a horizontal dashed line (e.g. FP32 accuracy)
  std::string referenceLabel;
  bool bars = false;  // grouped bars: x are category positions (0, 1, ...), named by the first series' labels
  std::vector<std::pair<double, std::string>> xTicks;  // named x ticks instead of numbered ones (line charts)
};

std::string renderSvg(const ChartSpec& spec);
// Writes the PNG; throws naming the path when it cannot be written.
void writePng(const ChartSpec& spec, const std::string& path);

}  // namespace fgq

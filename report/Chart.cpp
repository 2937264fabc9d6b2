#include "report/Chart.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/Error.h"
#include "core/AtomicFile.h"

namespace fgq {
namespace {

constexpr int kWidth = 900, kHeight = 560;
constexpr int kLeft = 80, kRight = 210, kTop = 50, kBottom = 70;  // plot margins; the legend sits on the right
constexpr double kHersheyScalePerPixel = 1.0 / 24.0;  // OpenCV's simplex font is ~24 px tall at scale 1

struct Color {
  int r, g, b;
};
const Color kPalette[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {148, 103, 189}, {255, 127, 14}, {140, 86, 75}};
const Color kGray{120, 120, 120}, kBlack{0, 0, 0}, kGrid{225, 225, 225};

// Primitives both renderers draw.
struct Line {
  double x1, y1, x2, y2;
  Color color;
  double width;
  bool dashed;
};
struct Dot {
  double x, y;
  Color color;
};
struct Rect {
  double x, y, w, h;
  Color color;
};
struct Text {
  double x, y;  // baseline anchor
  std::string text;
  Color color;
  double size;
  int anchor;  // -1 start, 0 middle, 1 end
  bool vertical;
};
struct Scene {
  std::vector<Line> lines;
  std::vector<Dot> dots;
  std::vector<Rect> rects;
  std::vector<Text> texts;
};

// Measured with the PNG's font, which runs wider than the SVG's sans-serif: a label placed clear of
// others in the PNG is clear in the SVG too.
double textWidth(const std::string& s, double size) {
  int baseline = 0;
  return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, size * kHersheyScalePerPixel, 1, &baseline).width;
}

// Tick values at 1, 2 or 5 times a power of ten, about `target` of them over [lo, hi].
std::vector<double> niceTicks(double lo, double hi, int target) {
  const double raw = (hi - lo) / target, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push_back(std::abs(t) < 1e-12 ? 0 : t);
  return ticks;
}

std::string formatTick(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

Scene layout(const ChartSpec& spec) {
  Scene scene;
  double xMin = INFINITY, xMax = -INFINITY, yMin = INFINITY, yMax = -INFINITY;
  for (const auto& s : spec.series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      xMin = std::min(xMin, s.x[i]);
      xMax = std::max(xMax, s.x[i]);
      yMin = std::min(yMin, s.y[i]);
      yMax = std::max(yMax, s.y[i]);
    }
  FGQ_CHECK(std::isfinite(xMin), "chart '" << spec.title << "' has no points");
  if (spec.referenceY) {
    yMin = std::min(yMin, *spec.referenceY);
    yMax = std::max(yMax, *spec.referenceY);
  }
  if (spec.bars) {
    yMin = 0;
    xMin -= 0.5;
    xMax += 0.5;
  }
  const double ySpan = std::max(yMax - yMin, 1e-6), xSpan = std::max(xMax - xMin, 1e-6);
  yMax += 0.08 * ySpan;
  if (!spec.bars) {
    yMin -= 0.08 * ySpan;
    xMin -= 0.05 * xSpan;
    xMax += 0.05 * xSpan;
  }
  // Bar charts name their categories in vertical text below the axis: they need a deeper margin.
  const double bottom = spec.bars ? 175 : kBottom;
  const double plotW = kWidth - kLeft - kRight, plotH = kHeight - kTop - bottom;
  auto px = [&](double x) { return kLeft + (x - xMin) / (xMax - xMin) * plotW; };
  auto py = [&](double y) { return kTop + (yMax - y) / (yMax - yMin) * plotH; };

  for (double t : niceTicks(yMin, yMax, 6)) {
    scene.lines.push_back({kLeft, py(t), kLeft + plotW, py(t), kGrid, 1, false});
    scene.texts.push_back({kLeft - 8, py(t) + 4, formatTick(t), kBlack, 11, 1, false});
  }
  std::vector<std::pair<double, std::string>> xTicks = spec.xTicks;
  if (xTicks.empty())
    for (double t : niceTicks(xMin, xMax, 8)) xTicks.emplace_back(t, formatTick(t));
  if (!spec.bars)
    for (const auto& [t, name] : xTicks) {
      scene.lines.push_back({px(t), kTop + plotH, px(t), kTop + plotH + 5, kBlack, 1, false});
      scene.texts.push_back({px(t), kTop + plotH + 20, name, kBlack, 11, 0, false});
    }
  scene.lines.push_back({kLeft, kTop + plotH, kLeft + plotW, kTop + plotH, kBlack, 1, false});
  scene.lines.push_back({kLeft, kTop, kLeft, kTop + plotH, kBlack, 1, false});
  scene.texts.push_back({kWidth / 2.0, 28, spec.title, kBlack, 16, 0, false});
  scene.texts.push_back({kLeft + plotW / 2, kHeight - 18, spec.xLabel, kBlack, 13, 0, false});
  scene.texts.push_back({22, kTop + plotH / 2, spec.yLabel, kBlack, 13, 0, true});

  // Everything a point label must not cover: points, the lines between them, the reference line.
  std::vector<Box> taken;
  const std::string referenceText = spec.referenceY ? spec.referenceLabel : "";
  if (spec.referenceY) {
    const double y = py(*spec.referenceY), w = textWidth(referenceText, 11);
    taken.push_back({kLeft, y - 2, kLeft + plotW, y + 2});
    taken.push_back({kLeft + plotW - 4 - w, y - 18, kLeft + plotW - 4, y - 4});
  }
  for (const auto& s : spec.series)
    for (size_t i = 0; i + 1 < s.x.size() && !spec.bars; ++i) {
      const double x1 = px(s.x[i]), y1 = py(s.y[i]), x2 = px(s.x[i + 1]), y2 = py(s.y[i + 1]);
      const int samples = static_cast<int>(std::hypot(x2 - x1, y2 - y1) / 4) + 1;
      for (int k = 0; k <= samples; ++k) {
        const double x = x1 + (x2 - x1) * k / samples, y = y1 + (y2 - y1) * k / samples;
        taken.push_back({x - 1.5, y - 1.5, x + 1.5, y + 1.5});
      }
    }
  for (size_t si = 0; si < spec.series.size(); ++si) {
    const ChartSeries& s = spec.series[si];
    const Color color = kPalette[si % std::size(kPalette)];
    for (size_t i = 0; i < s.x.size(); ++i) taken.push_back({px(s.x[i]) - 4, py(s.y[i]) - 4, px(s.x[i]) + 4, py(s.y[i]) + 4});
    const double legendY = kTop + 20 + 22 * static_cast<double>(si);
    if (spec.bars) {  // grouped: series side by side within each category's slot
      const double slot = plotW / (xMax - xMin) * 0.8, barW = slot / static_cast<double>(spec.series.size());
      for (size_t i = 0; i < s.x.size(); ++i) {
        const double left = px(s.x[i]) - slot / 2 + barW * static_cast<double>(si);
        scene.rects.push_back({left, py(s.y[i]), barW * 0.9, py(0) - py(s.y[i]), color});
        if (si == 0 && i < s.labels.size()) scene.texts.push_back({px(s.x[i]) + 3, kTop + plotH + 10, s.labels[i], kBlack, 10, 1, true});
      }
      scene.rects.push_back({kLeft + plotW + 20, legendY - 10, 24, 10, color});
      scene.texts.push_back({kLeft + plotW + 50, legendY, s.name, kBlack, 12, -1, false});
      continue;
    }
    for (size_t i = 0; i + 1 < s.x.size(); ++i)
      scene.lines.push_back({px(s.x[i]), py(s.y[i]), px(s.x[i + 1]), py(s.y[i + 1]), color, 2, false});
    for (size_t i = 0; i < s.x.size(); ++i) scene.dots.push_back({px(s.x[i]), py(s.y[i]), color});
    scene.lines.push_back({kLeft + plotW + 20, legendY - 4, kLeft + plotW + 44, legendY - 4, color, 2, false});
    scene.texts.push_back({kLeft + plotW + 50, legendY, s.name, kBlack, 12, -1, false});
  }
  // Point labels: the first of eight places around the point that overlaps nothing placed so far.
  for (size_t si = 0; si < spec.series.size() && !spec.bars; ++si) {
    const ChartSeries& s = spec.series[si];
    const Color color = kPalette[si % std::size(kPalette)];
    for (size_t i = 0; i < s.labels.size(); ++i) {
      const double x = px(s.x[i]), y = py(s.y[i]), w = textWidth(s.labels[i], 11), h = 11;
      // Candidate places: right, left, above and below the point, and the diagonals, moving outwards.
      std::vector<std::array<double, 2>> offsets;
      for (double r : {6.0, 16.0, 28.0, 42.0})
        for (const auto& o : std::vector<std::array<double, 2>>{{r, -r / 2}, {r, r + h}, {-r - w, -r / 2}, {-r - w, r + h},
                                                                {-w / 2, -r}, {-w / 2, r + h}, {r, h / 2}, {-r - w, h / 2}})
          offsets.push_back(o);
      // The place with the fewest collisions (leaving the plot counts as many), first in order on ties.
      Box chosen{};
      int64_t fewest = INT64_MAX;
      for (const auto& o : offsets) {
        const Box candidate{x + o[0], y + o[1] - h, x + o[0] + w, y + o[1]};
        const bool inside = candidate.x0 >= kLeft && candidate.x1 <= kLeft + plotW && candidate.y0 >= kTop && candidate.y1 <= kTop + plotH;
        const int64_t collisions = (inside ? 0 : 1000) + std::count_if(taken.begin(), taken.end(), [&](const Box& b) { return b.overlaps(candidate); });
        if (collisions < fewest) {
          fewest = collisions;
          chosen = candidate;
        }
      }
      taken.push_back(chosen);
      scene.texts.push_back({chosen.x0, chosen.y1, s.labels[i], color, 11, -1, false});
    }
  }
  if (spec.referenceY) {
    scene.lines.push_back({kLeft, py(*spec.referenceY), kLeft + plotW, py(*spec.referenceY), kGray, 1.5, true});
    scene.texts.push_back({kLeft + plotW - 4, py(*spec.referenceY) - 6, spec.referenceLabel, kGray, 11, 1, false});
  }
  return scene;
}

std::string svgColor(const Color& c) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", c.r, c.g, c.b);
  return buffer;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

cv::Scalar cvColor(const Color& c) { return cv::Scalar(c.b, c.g, c.r); }

}  // namespace

std::string renderSvg(const ChartSpec& spec) {
  const Scene scene = layout(spec);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(kHeight) + "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  char buffer[512];
  for (const Rect& r : scene.rects) {
    std::snprintf(buffer, sizeof buffer, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", r.x, r.y, r.w,
                  r.h, svgColor(r.color).c_str());
    svg += buffer;
  }
  for (const Line& l : scene.lines) {
    std::snprintf(buffer, sizeof buffer, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>\n",
                  l.x1, l.y1, l.x2, l.y2, svgColor(l.color).c_str(), l.width, l.dashed ? " stroke-dasharray=\"6,4\"" : "");
    svg += buffer;
  }
  for (const Dot& d : scene.dots) {
    std::snprintf(buffer, sizeof buffer, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", d.x, d.y, svgColor(d.color).c_str());
    svg += buffer;
  }
  for (const Text& t : scene.texts) {
    const char* anchor = t.anchor < 0 ? "start" : (t.anchor == 0 ? "middle" : "end");
    std::snprintf(buffer, sizeof buffer, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"%s\" text-anchor=\"%s\"%s>", t.x, t.y,
                  t.size, svgColor(t.color).c_str(), anchor,
                  t.vertical ? (" transform=\"rotate(-90 " + std::to_string(t.x) + " " + std::to_string(t.y) + ")\"").c_str() : "");
    svg += buffer + escape(t.text) + "</text>\n";
  }
  return svg + "</svg>\n";
}

void writePng(const ChartSpec& spec, const std::string& path) {
  const Scene scene = layout(spec);
  cv::Mat image(kHeight, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  for (const Rect& r : scene.rects)
    cv::rectangle(image, cv::Rect2d(r.x, r.y, r.w, r.h), cvColor(r.color), cv::FILLED);
  for (const Line& l : scene.lines) {
    const int width = std::max(1, static_cast<int>(std::lround(l.width)));
    if (!l.dashed) {
      cv::line(image, cv::Point2d(l.x1, l.y1), cv::Point2d(l.x2, l.y2), cvColor(l.color), width, cv::LINE_AA);
      continue;
    }
    const double length = std::hypot(l.x2 - l.x1, l.y2 - l.y1);
    for (double s = 0; s < length; s += 10) {
      const double e = std::min(length, s + 6);
      cv::line(image, cv::Point2d(l.x1 + (l.x2 - l.x1) * s / length, l.y1 + (l.y2 - l.y1) * s / length),
               cv::Point2d(l.x1 + (l.x2 - l.x1) * e / length, l.y1 + (l.y2 - l.y1) * e / length), cvColor(l.color), width, cv::LINE_AA);
    }
  }
  for (const Dot& d : scene.dots) cv::circle(image, cv::Point2d(d.x, d.y), 4, cvColor(d.color), cv::FILLED, cv::LINE_AA);
  for (const Text& t : scene.texts) {
    const double scale = t.size * kHersheyScalePerPixel;
    int baseline = 0;
    const cv::Size size = cv::getTextSize(t.text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
    const double shift = t.anchor < 0 ? 0 : (t.anchor == 0 ? size.width / 2.0 : size.width);
    if (!t.vertical) {
      cv::putText(image, t.text, cv::Point2d(t.x - shift, t.y), cv::FONT_HERSHEY_SIMPLEX, scale, cvColor(t.color), 1, cv::LINE_AA);
      continue;
    }
    // Vertical text: draw horizontally on its own canvas, rotate, paste.
    cv::Mat label(size.height + baseline + 4, size.width + 4, CV_8UC3, cv::Scalar(255, 255, 255));
    cv::putText(label, t.text, cv::Point(2, size.height + 2), cv::FONT_HERSHEY_SIMPLEX, scale, cvColor(t.color), 1, cv::LINE_AA);
    cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int x = static_cast<int>(t.x) - label.cols / 2;
    const int y = static_cast<int>(t.y - (t.anchor == 0 ? label.rows / 2.0 : (t.anchor > 0 ? 0 : label.rows)));
    const cv::Rect target = cv::Rect(x, y, label.cols, label.rows) & cv::Rect(0, 0, image.cols, image.rows);
    label(cv::Rect(target.x - x, target.y - y, target.width, target.height)).copyTo(image(target));
  }
  std::vector<uchar> png;
  if (!cv::imencode(".png", image, png)) throw Error(path + ": cannot encode PNG");
  writeFileAtomically(path, std::string(png.begin(), png.end()));
}

}  // namespace fgq

#include "quant/ActivationQuantizer.h"

#include <cmath>

#include "quant/FakeQuantize.h"

namespace fgq {

namespace {
constexpr CalibrationMethod kMethods[] = {CalibrationMethod::kMax, CalibrationMethod::kPercentile, CalibrationMethod::kMse};
}

const char* calibrationMethodName(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::kMax: return "max";
    case CalibrationMethod::kPercentile: return "percentile";
    case CalibrationMethod::kMse: return "mse";
  }
  return "?";
}

CalibrationMethod parseCalibrationMethod(const std::string& name) {
  for (CalibrationMethod m : kMethods)
    if (name == calibrationMethodName(m)) return m;
  throw Error("unknown calibration '" + name + "' (expected max, percentile or mse)");
}

ActivationQuantizer::ActivationQuantizer(int64_t bits)
    : scale_(Tensor::full({}, 1.0)), bits_(Tensor::full({}, static_cast<double>(bits), DType::kS64)),
      signed_(Tensor::full({}, 1.0, DType::kS64)) {
  FGQ_CHECK(bits >= 2 && bits <= 16, "activation bits must be in 2..16, found " << bits);
  registerBuffer("scale", &scale_);
  registerBuffer("bits", &bits_);
  registerBuffer("signed", &signed_);
}

float ActivationQuantizer::lowestCode() const { return isSigned() ? -std::ldexp(1.f, static_cast<int>(bits()) - 1) : 0.f; }

float ActivationQuantizer::highestCode() const {
  return isSigned() ? std::ldexp(1.f, static_cast<int>(bits()) - 1) - 1 : std::ldexp(1.f, static_cast<int>(bits())) - 1;
}

void ActivationQuantizer::observeRange() {
  mode_ = Mode::kRange;
  range_ = ValueRange{};
}

void ActivationQuantizer::observeHistogram() {
  mode_ = Mode::kHistogram;
  histogram_.assign(kBins, 0.0);
}

void ActivationQuantizer::combineAcrossRanks(const Communicator& ranks) {
  if (mode_ == Mode::kRange) {
    double extremes[] = {range_.maxAbs, -range_.min};
    ranks.allreduceMax(extremes);
    range_.maxAbs = extremes[0];
    range_.min = -extremes[1];
  } else if (mode_ == Mode::kHistogram) {
    ranks.allreduceSum(histogram_);
  }
}

Variable ActivationQuantizer::forward(const Variable& x) {
  if (mode_ == Mode::kQuantize) return fakeQuantize(x, scale(), lowestCode(), highestCode());
  if (mode_ == Mode::kRange) {
    range_.observe(x.tensor());
  } else if (range_.maxAbs > 0) {
    const Tensor values = valuesInAnyOrder(x.tensor());
    const float* v = static_cast<const float*>(values.raw());
    const int64_t n = values.numel();
    const double perBin = kBins / range_.maxAbs;
#pragma omp parallel
    {
      std::vector<int64_t> counts(kBins, 0);
#pragma omp for nowait
      for (int64_t i = 0; i < n; ++i) ++counts[std::min<int64_t>(kBins - 1, static_cast<int64_t>(std::abs(v[i]) * perBin))];
#pragma omp critical
      for (int b = 0; b < kBins; ++b) histogram_[b] += static_cast<double>(counts[b]);
    }
  }
  return x;
}

void ActivationQuantizer::finishCalibration(const CalibrationOptions& o) {
  FGQ_CHECK(mode_ == Mode::kHistogram || o.method == CalibrationMethod::kMax, "calibration needs the range and histogram passes first");
  signed_.data<int64_t>()[0] = range_.min < 0 ? 1 : 0;
  const double top = highestCode();
  const double maxAbs = range_.maxAbs, binWidth = maxAbs / kBins;
  double clip = maxAbs;
  if (o.method == CalibrationMethod::kPercentile) {
    double total = 0;
    for (double h : histogram_) total += h;
    double cumulative = 0;
    for (int b = 0; b < kBins; ++b) {
      cumulative += histogram_[b];
      if (cumulative >= total * o.percentile / 100.0) {
        clip = (b + 1) * binWidth;
        break;
      }
    }
  } else if (o.method == CalibrationMethod::kMse) {
    // Expected squared error for each candidate clip: rounding noise (step^2 / 12) inside, the
    // distance to the clip outside, from the histogram's bin centres.
    double bestError = INFINITY;
    for (int candidate = 1; candidate <= 256; ++candidate) {
      const double c = maxAbs * candidate / 256.0, step = c / top;
      double error = 0;
      for (int b = 0; b < kBins; ++b) {
        const double centre = (b + 0.5) * binWidth;
        error += histogram_[b] * (centre > c ? (centre - c) * (centre - c) : step * step / 12.0);
      }
      if (error < bestError) {
        bestError = error;
        clip = c;
      }
    }
  }
  double s = clip > 0 ? clip / top : 1.0;
  if (o.pow2) s = std::exp2(std::round(std::log2(s)));
  scale_.data<float>()[0] = static_cast<float>(s);
  mode_ = Mode::kQuantize;
}

}  // namespace fgq

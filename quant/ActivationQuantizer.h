#pragma once
// The quantizer at the input of a conv or inner product (methods.md, section 1.5): b bits, one scale per
// tensor, unsigned [0, 2^b - 1] where the calibration data never went negative (a ReLU output, or a
// pooling of one), signed [-2^(b-1), 2^(b-1) - 1] otherwise. The scale comes from the calibration
// images: the clip value c by `max`, `percentile` or `mse`, then scale = c / top code, optionally rounded
// to a power of two. Its state lives in buffers (scale, bits, signed), so it saves with the model.
#include <vector>

#include "core/Communicator.h"
#include "layers/Module.h"
#include "quant/ValueRange.h"

namespace fgq {

enum class CalibrationMethod { kMax, kPercentile, kMse };
// "max", "percentile" or "mse"; throws naming the unknown one.
CalibrationMethod parseCalibrationMethod(const std::string& name);
const char* calibrationMethodName(CalibrationMethod method);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kPercentile;
  double percentile = 99.99;
  bool pow2 = false;
};

class ActivationQuantizer : public Module {
 public:
  explicit ActivationQuantizer(int64_t bits);
  Variable forward(const Variable& x) override;

  // Calibration runs the calibration images twice: once to find the range, once to fill a histogram
  // of |x| over it; finishCalibration() then sets the scale. Inputs pass unchanged meanwhile.
  void observeRange();
  void observeHistogram();
  void finishCalibration(const CalibrationOptions& options);
  // Under mpirun each rank calibrates on its share of the images: this combines what the pass just run
  // observed (the range, or the histogram) over the ranks, before the next pass needs it.
  void combineAcrossRanks(const Communicator& ranks);

  float scale() const { return scale_.data<float>()[0]; }
  int64_t bits() const { return bits_.data<int64_t>()[0]; }
  bool isSigned() const { return signed_.data<int64_t>()[0] != 0; }
  float lowestCode() const;
  float highestCode() const;

 private:
  enum class Mode { kQuantize, kRange, kHistogram };
  static constexpr int kBins = 4096;
  Tensor scale_, bits_, signed_;
  Mode mode_ = Mode::kQuantize;
  ValueRange range_;
  std::vector<double> histogram_;
};

}  // namespace fgq

#pragma once
// Batch-norm statistics for a quantized network (methods.md, sections 1.6 and 1.6b; docs/calibration.md).
// Re-estimation runs the calibration images through the model with every batch norm computing batch
// statistics, and replaces each one's running mean and variance by the cumulative average over those
// batches. Nothing else changes: no weights, no labels; other layers (dropout) stay in evaluation
// mode. The model is left in evaluation mode. Under mpirun, `batches` are this rank's share (possibly
// none) and the averages are combined over the ranks: every rank ends with one process's statistics.
#include <vector>

#include "layers/Module.h"

namespace fgq {

void reestimateBatchNorm(Module& model, const std::vector<Tensor>& batches);

// Every batch norm's running mean and variance, in the model's module order (copies).
struct BatchNormStatistics {
  std::vector<Tensor> mean, var;
};
BatchNormStatistics runningStatistics(const Module& model);
void setRunningStatistics(Module& model, const BatchNormStatistics& statistics);

// The few-image correction: the data set's statistics (`running`, the FP32 model's) moved by the shift
// that quantization causes, as measured on the same images through the FP32 network (`fp32Measured`)
// and the quantized one (`quantizedMeasured`): mean + (mean_q - mean_fp), var * (var_q + eps) / (var_fp
// + eps), eps = 1e-5 keeping channels that carry nothing on these images at their running variance.
BatchNormStatistics shiftedStatistics(const BatchNormStatistics& running, const BatchNormStatistics& fp32Measured,
                                      const BatchNormStatistics& quantizedMeasured);

}  // namespace fgq

#pragma once
// Calibration without images (ZeroQ, Cai et al. 2020): inputs synthesized from the FP32 model alone.
// Starting from Gaussian noise, Adam moves a batch of inputs until every batch norm sees on them its own
// running mean and variance, L = sum over batch norms of mean_c[(mu_c - mu_run)^2 / (var_run + eps) +
// (var_c - var_run)^2 / (var_run + eps)^2]; the model's parameters do not change.
#include "layers/Module.h"

namespace fgq {

struct SynthesisOptions {
  int64_t images = 32;
  int64_t steps = 200;
  double lr = 0.1;
  uint64_t seed = 0;
};

struct SynthesizedImages {
  Tensor images;  // [images, C, H, W], in the model's normalized input units
  double initialLoss = 0, finalLoss = 0;
};

// `model` must be the FP32 model with batch norms; `imageShape` is [C, H, W].
SynthesizedImages synthesizeImages(Module& model, const Shape& imageShape, const SynthesisOptions& options);

}  // namespace fgq

#pragma once
// The experiment a JSON config describes (docs/configs.md documents every key). parseExperiment reads
// the whole config strictly: unknown keys and wrong types are errors naming the key path.
#include <optional>
#include <string>
#include <vector>

#include "data/ImageHeader.h"
#include "data/Transforms.h"
#include "layers/models/Models.h"
#include "train/ConfigReader.h"
#include "train/BatchNormDistillation.h"
#include "train/DataFreeCalibration.h"
#include "quant/Fgq.h"
#include "quant/Vbd.h"
#include "train/LrSchedule.h"

namespace fgq {

// model.arch of a model read from an ONNX file (model.weights), architecture and weights.
inline constexpr const char* kOnnxArch = "onnx";

struct ModelConfig {
  std::string arch;
  ModelOptions options;
  std::string weights;  // optional safetensors state dict to start from; the .onnx file for arch "onnx"
};

struct DataConfig {
  std::string dataset;  // fashion_mnist | image_folder
  std::string root;     // fashion_mnist: the IDX folder
  std::string trainRoot, evalRoot;  // image_folder
  std::string evalGroundTruth, synsets;  // a flat evaluation folder's labels (ImageFolderOptions)
  bool skipBadImages = false;
  int64_t maxImagePixels = kDefaultMaxImagePixels;
  int64_t limitTrain = -1, limitEval = -1;
  TransformOptions trainTransforms, evalTransforms;
};

struct OptimizerConfig {
  std::string type = "sgd";  // sgd | adam | adamw
  double lr = 0.1, momentum = 0.9, dampening = 0.0, weightDecay = 0.0, eps = 1e-8;
  bool nesterov = false;
  std::vector<double> betas{0.9, 0.999};
};

struct ScheduleConfig {
  std::string type = "constant";
  double warmupEpochs = 0, stepSize = 0, gamma = 0.1, minLr = 0;
  std::vector<double> milestones;
};

struct TrainConfig {
  int64_t epochs = 1, batchSize = 128, evalBatchSize = 500;
  uint64_t seed = 0;
  double labelSmoothing = 0.0;
  int64_t checkpointEverySteps = 500;
};

// How conversion sets each batch norm's statistics for the quantized network (docs/calibration.md).
enum class BnStatistics {
  kReestimate,  // replaced by the statistics measured on the calibration images (methods.md 1.6)
  kCorrect,     // the FP32 running statistics moved by the shift quantization causes on those images
};

// The "quantization" block: FGQ conversion (methods.md, section 1) and the calibration data it uses.
struct QuantizationConfig {
  FgqOptions fgq;
  CalibrationOptions calibration;
  bool bnReestimation = true;
  BnStatistics bnStatistics = BnStatistics::kReestimate;
  int64_t calibrationImages = 256;  // distinct images read
  int64_t calibrationViews = 1;     // augmented views of each; 0 ("auto"): as many as make kCalibrationSamples
  std::string calibrationFolder;    // unlabeled images; empty: the training set, labels unread
  int64_t calibrationBatchSize = 64;
  uint64_t calibrationSeed = 0;
  TransformOptions viewTransforms;  // the augmentation of the views (data.train_transforms by default)
  SynthesisOptions synthesis;       // with calibrationImages 0 or mixSynthetic (its seed is calibrationSeed)
  bool mixSynthetic = false;        // synthesized inputs added to the images' views
  BnDistillationOptions distillation;  // after the statistics, on views of the same images (its seed is calibrationSeed)
  // calibration.recipe: "few_images" (or "auto" below kCalibrationSamples images) makes correction,
  // automatic views, synthesized inputs and batch-norm distillation the defaults (docs/calibration.md).
  bool fewImageRecipe = false;
  int64_t views() const;            // the views of each image this block asks for
};
// The calibration samples the automatic view count aims at: one view each from this many images or more;
// "auto" picks the few-image recipe below this many images.
inline constexpr int64_t kCalibrationSamples = 256;
inline constexpr int64_t kFewImageDistillationSteps = 200;

// The "finetune" block: training a compressed model against the FP32 teacher (methods.md, section
// 1.7): L1 distance between logits, plus cross-entropy when cross_entropy_weight > 0 (labels read only
// then), on the training images or an unlabeled folder, down to a single image seen through the
// augmenting transforms.
struct FinetuneConfig {
  int64_t steps = 0;   // the budget: steps, ...
  double epochs = 0;   // ... or passes over the distinct images (fractions welcome)
  int64_t batchSize = 128;
  uint64_t seed = 0;
  double crossEntropyWeight = 0.0;
  int64_t images = -1;  // distinct images to draw views from (-1: all)
  std::string folder;   // unlabeled images instead of the training set
  int64_t checkpointEverySteps = 100;
  TransformOptions transforms;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
};

// The "vbd" block: variable bit-depth compression by distillation (methods.md, section 2) from a few
// unlabeled images (a seeded draw of `images`, the only ones read), in three stages: per-tensor B, E,
// alpha; per-channel E, alpha for weights; B rounded up and frozen while E, alpha and the weights
// train, with early stopping on held-out views (other augmentations of the same images).
struct VbdConfig {
  double gamma = 0.005;
  bool weightsOnly = false;  // the size term counts weights only ("smallest storage")
  int64_t images = 8, holdoutViews = 64, batchSize = 32;
  std::string folder;  // unlabeled images instead of the training set
  uint64_t seed = 0;
  TransformOptions transforms;
  int64_t tensorSteps = 300, channelSteps = 200, finalSteps = 200;
  double lrBits = 0.05, lrExponent = 0.01, lrOffset = 0.02, lrWeights = 1e-5;  // B fastest: docs/calibration.md, "VBD"
  int64_t evalEverySteps = 25, patience = 4;
  std::string bitRounding = "up";  // or "objective" (docs/calibration.md, "Rounding B")
  bool trainExportFormat = false;  // E and alpha rounded from B's rounding on (docs/calibration.md, "Training the export's format")
  std::optional<double> maxAverageBits;  // a budget on Bbar met when B is rounded (docs/calibration.md, "A bit budget")
  VbdOptions start;  // the bit depths the quantizers start from
  // Inputs synthesized from the FP32 model beside the views, in 500 Adam steps (docs/calibration.md, "VBD"; its seed is `seed`).
  SynthesisOptions synthesis{128, 500};
};

// Data-parallel training under mpirun (docs/distributed.md); without it nothing here is used.
struct DistributedConfig {
  bool syncBatchNorm = true;        // batch statistics over every rank's batch
  int64_t bucketBytes = 4 << 20;    // gradients are summed in buckets of about this size
};

struct Experiment {
  std::string name;
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  std::optional<QuantizationConfig> quantization;
  std::optional<FinetuneConfig> finetune;
  std::optional<VbdConfig> vbd;
  DistributedConfig distributed;
  std::string outputDir;
  nlohmann::json resolved;  // the whole config with defaults filled in
};

Experiment parseExperiment(const ConfigNode& root);
// The schedule in steps, for `stepsPerEpoch` steps an epoch and `totalSteps` in all.
LrSchedule makeSchedule(const ScheduleConfig& schedule, double lr, int64_t stepsPerEpoch, int64_t totalSteps);

}  // namespace fgq

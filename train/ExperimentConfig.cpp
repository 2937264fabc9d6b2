#include "train/ExperimentConfig.h"

#include <cmath>

#include "data/FashionMnist.h"

namespace fgq {
namespace {

TransformOptions parseTransforms(const ConfigNode& node, const std::vector<double>& mean, const std::vector<double>& std) {
  TransformOptions t;
  t.resize = node.optional<int64_t>("resize");
  t.centerCrop = node.optional<int64_t>("center_crop");
  if (node.has("random_resized_crop")) {
    const ConfigNode c = node.child("random_resized_crop");
    RandomResizedCrop r;
    r.size = c.require<int64_t>("size");
    const auto scale = c.get<std::vector<double>>("scale", {0.08, 1.0});
    const auto ratio = c.get<std::vector<double>>("ratio", {3.0 / 4.0, 4.0 / 3.0});
    if (scale.size() != 2 || scale[0] <= 0 || scale[0] > scale[1] || scale[1] > 1) c.fail("scale", "expected [min, max] in (0, 1]");
    if (ratio.size() != 2 || ratio[0] <= 0 || ratio[0] > ratio[1]) c.fail("ratio", "expected [min, max] with 0 < min <= max");
    r.minScale = scale[0];
    r.maxScale = scale[1];
    r.minRatio = ratio[0];
    r.maxRatio = ratio[1];
    t.randomResizedCrop = r;
  }
  if (node.has("random_crop")) {
    const ConfigNode c = node.child("random_crop");
    t.randomCrop = RandomCrop{c.require<int64_t>("size"), c.get<int64_t>("padding", 0)};
    if (t.randomCrop->size <= 0 || t.randomCrop->padding < 0) c.fail("size", "expected size > 0 and padding >= 0");
  }
  t.horizontalFlip = node.get<bool>("hflip", false);
  t.mean = mean;
  t.std = std;
  return t;
}

// A starting bit depth, in the range a VBD quantizer takes.
double parseBits(const ConfigNode& node, const std::string& key, double fallback) {
  const double bits = node.get<double>(key, fallback);
  if (bits < kVbdMinBits || bits > kVbdMaxBits)
    node.fail(key, "bits must be in " + std::to_string(kVbdMinBits) + ".." + std::to_string(kVbdMaxBits) + ", found " + std::to_string(bits));
  return bits;
}

// required: whether the block must give a learning rate (a pure conversion trains nothing).
OptimizerConfig parseOptimizer(const ConfigNode& opt, bool required) {
  OptimizerConfig o;
  o.type = opt.get<std::string>("type", "sgd");
  o.lr = required ? opt.require<double>("lr") : opt.get<double>("lr", 0.0);
  o.weightDecay = opt.get<double>("weight_decay", 0.0);
  if (o.type == "sgd") {
    o.momentum = opt.get<double>("momentum", 0.0);
    o.dampening = opt.get<double>("dampening", 0.0);
    o.nesterov = opt.get<bool>("nesterov", false);
  } else if (o.type == "adam" || o.type == "adamw") {
    o.betas = opt.get<std::vector<double>>("betas", {0.9, 0.999});
    o.eps = opt.get<double>("eps", 1e-8);
    if (o.betas.size() != 2) opt.fail("betas", "expected [beta1, beta2]");
  } else {
    opt.fail("type", "unknown optimizer '" + o.type + "' (expected sgd, adam or adamw)");
  }
  return o;
}

ScheduleConfig parseSchedule(const ConfigNode& schedule) {
  ScheduleConfig c;
  c.type = schedule.get<std::string>("type", "constant");
  c.warmupEpochs = schedule.get<double>("warmup_epochs", 0.0);
  if (c.type == "step") c.stepSize = schedule.require<double>("step_size");
  if (c.type == "multistep") c.milestones = schedule.require<std::vector<double>>("milestones");
  if (c.type == "step" || c.type == "multistep") c.gamma = schedule.get<double>("gamma", 0.1);
  if (c.type == "cosine") c.minLr = schedule.get<double>("min_lr", 0.0);
  try {
    makeSchedule(c, 0.1, 1000, 1000).validate();  // any realistic epoch length: only the numbers are checked
  } catch (const Error& error) {
    schedule.fail("type", error.what());
  }
  return c;
}

FinetuneConfig parseFinetune(const ConfigNode& node, const Experiment& e) {
  FinetuneConfig f;
  const std::optional<int64_t> steps = node.optional<int64_t>("steps");
  const std::optional<double> epochs = node.optional<double>("epochs");
  if (steps.has_value() == epochs.has_value()) node.fail("steps", "give the budget as exactly one of steps or epochs (a fraction of a pass over the images)");
  if (steps && *steps < 1) node.fail("steps", "must be positive");
  if (epochs && !(*epochs > 0)) node.fail("epochs", "must be positive");
  f.steps = steps.value_or(0);
  f.epochs = epochs.value_or(0.0);
  f.batchSize = node.get<int64_t>("batch_size", 128);
  if (f.batchSize < 1) node.fail("batch_size", "must be positive");
  f.seed = static_cast<uint64_t>(node.get<int64_t>("seed", 0));
  f.crossEntropyWeight = node.get<double>("cross_entropy_weight", 0.0);
  if (f.crossEntropyWeight < 0) node.fail("cross_entropy_weight", "must be >= 0");
  f.images = node.get<int64_t>("images", -1);
  if (f.images == 0 || f.images < -1) node.fail("images", "must be positive, or -1 for the whole training set");
  f.folder = node.get<std::string>("folder", "");
  if (!f.folder.empty() && f.crossEntropyWeight > 0) node.fail("cross_entropy_weight", "needs labels, and a folder has none");
  f.checkpointEverySteps = node.get<int64_t>("checkpoint_every_steps", 100);
  if (f.checkpointEverySteps < 1) node.fail("checkpoint_every_steps", "must be positive");
  f.transforms = node.has("transforms") ? parseTransforms(node.child("transforms"), e.data.trainTransforms.mean, e.data.trainTransforms.std)
                                        : e.data.trainTransforms;
  f.optimizer = parseOptimizer(node.child("optimizer"), true);
  f.schedule = parseSchedule(node.child("schedule"));
  return f;
}

// Defaults are VbdConfig's own.
VbdConfig parseVbd(const ConfigNode& node, const Experiment& e) {
  VbdConfig v;
  v.gamma = node.require<double>("gamma");
  if (v.gamma < 0) node.fail("gamma", "must be >= 0, found " + std::to_string(v.gamma));
  v.weightsOnly = node.get<bool>("weights_only", v.weightsOnly);
  v.images = node.get<int64_t>("images", v.images);
  v.holdoutViews = node.get<int64_t>("holdout_views", v.holdoutViews);
  v.batchSize = node.get<int64_t>("batch_size", v.batchSize);
  v.folder = node.get<std::string>("folder", v.folder);
  v.seed = static_cast<uint64_t>(node.get<int64_t>("seed", static_cast<int64_t>(v.seed)));
  if (v.images < 1) node.fail("images", "needs at least 1 image");
  if (v.holdoutViews < 0) node.fail("holdout_views", "must be >= 0 (0: no early stopping)");
  if (v.batchSize < 1) node.fail("batch_size", "must be positive");
  v.transforms = node.has("transforms") ? parseTransforms(node.child("transforms"), e.data.trainTransforms.mean, e.data.trainTransforms.std)
                                        : e.data.trainTransforms;
  const ConfigNode steps = node.child("steps");
  v.tensorSteps = steps.get<int64_t>("per_tensor", v.tensorSteps);
  v.channelSteps = steps.get<int64_t>("per_channel", v.channelSteps);
  v.finalSteps = steps.get<int64_t>("final", v.finalSteps);
  if (v.tensorSteps < 0 || v.channelSteps < 0 || v.finalSteps < 0) steps.fail("per_tensor", "stage steps must be >= 0");
  const ConfigNode lr = node.child("lr");
  v.lrBits = lr.get<double>("bits", v.lrBits);
  v.lrExponent = lr.get<double>("exponent", v.lrExponent);
  v.lrOffset = lr.get<double>("offset", v.lrOffset);
  v.lrWeights = lr.get<double>("weights", v.lrWeights);
  v.evalEverySteps = node.get<int64_t>("eval_every_steps", v.evalEverySteps);
  v.patience = node.get<int64_t>("patience", v.patience);
  if (v.evalEverySteps < 1) node.fail("eval_every_steps", "must be positive");
  v.trainExportFormat = node.get<bool>("train_export_format", v.trainExportFormat);
  v.bitRounding = node.get<std::string>("bit_rounding", v.bitRounding);
  if (v.bitRounding != "up" && v.bitRounding != "objective")
    node.fail("bit_rounding", "expected \"up\" or \"objective\", found \"" + v.bitRounding + "\"");
  if (node.has("max_average_bits")) {
    v.maxAverageBits = node.require<double>("max_average_bits");
    if (*v.maxAverageBits < kVbdMinBits) node.fail("max_average_bits", "must be at least " + std::to_string(kVbdMinBits) + " bit, found " + std::to_string(*v.maxAverageBits));
  }
  v.synthesis.images = node.get<int64_t>("synthetic_images", v.synthesis.images);
  if (v.synthesis.images < 0) node.fail("synthetic_images", "must be >= 0");
  v.synthesis.steps = node.get<int64_t>("synthesis_steps", v.synthesis.steps);
  if (v.synthesis.steps < 0) node.fail("synthesis_steps", "must be >= 0");
  v.start.initialBits = parseBits(node, "initial_bits", v.start.initialBits);
  v.start.edgeBits = parseBits(node, "edge_bits", v.start.edgeBits);
  return v;
}

// The "calibration" block of a quantization block, into `q`.
void parseCalibration(const ConfigNode& calibration, const TransformOptions& transforms, QuantizationConfig& q) {
  q.calibrationImages = calibration.get<int64_t>("images", q.calibrationImages);
  const std::string recipe = calibration.get<std::string>("recipe", "auto");
  if (recipe != "auto" && recipe != "plain" && recipe != "few_images")
    calibration.fail("recipe", "expected \"auto\", \"plain\" or \"few_images\", found \"" + recipe + "\"");
  q.fewImageRecipe = recipe == "few_images" || (recipe == "auto" && q.calibrationImages < kCalibrationSamples);
  if (q.fewImageRecipe) {
    q.calibrationViews = 0;
    q.mixSynthetic = q.calibrationImages > 0;
    q.bnStatistics = BnStatistics::kCorrect;
    q.distillation.steps = q.calibrationImages > 0 ? kFewImageDistillationSteps : 0;
  }
  const nlohmann::json views = calibration.raw("views", q.calibrationViews == 0 ? nlohmann::json("auto") : nlohmann::json(q.calibrationViews));
  if (views.is_number_integer() && views.get<int64_t>() >= 1)
    q.calibrationViews = views.get<int64_t>();
  else if (views == "auto")
    q.calibrationViews = 0;
  else
    calibration.fail("views", "expected a positive integer or \"auto\", found " + views.dump());
  q.synthesis.images = calibration.get<int64_t>("synthetic_images", q.synthesis.images);
  q.mixSynthetic = calibration.get<bool>("mix_synthetic", q.mixSynthetic);
  q.synthesis.steps = calibration.get<int64_t>("synthesis_steps", q.synthesis.steps);
  if (q.synthesis.images < 1) calibration.fail("synthetic_images", "must be positive");
  if (q.synthesis.steps < 0) calibration.fail("synthesis_steps", "must be >= 0");
  q.viewTransforms = calibration.has("transforms") ? parseTransforms(calibration.child("transforms"), transforms.mean, transforms.std) : transforms;
  q.calibrationFolder = calibration.get<std::string>("folder", q.calibrationFolder);
  q.calibrationBatchSize = calibration.get<int64_t>("batch_size", q.calibrationBatchSize);
  q.calibrationSeed = static_cast<uint64_t>(calibration.get<int64_t>("seed", static_cast<int64_t>(q.calibrationSeed)));
  if (q.calibrationImages < 0) calibration.fail("images", "must be >= 0 (0: inputs synthesized from the FP32 model, no images)");
  if (q.calibrationBatchSize < 1) calibration.fail("batch_size", "must be positive");
}

// The "distillation" block of a quantization block: few-image batch-norm distillation.
BnDistillationOptions parseBnDistillation(const ConfigNode& node, BnDistillationOptions d, uint64_t seed) {
  d.steps = node.get<int64_t>("steps", d.steps);
  d.lr = node.get<double>("lr", d.lr);
  d.batchSize = node.get<int64_t>("batch_size", d.batchSize);
  d.evalEverySteps = node.get<int64_t>("eval_every_steps", d.evalEverySteps);
  d.patience = node.get<int64_t>("patience", d.patience);
  d.holdoutViews = node.get<int64_t>("holdout_views", d.holdoutViews);
  d.seed = seed;
  if (d.steps < 0) node.fail("steps", "must be >= 0 (0: no distillation)");
  if (d.lr <= 0) node.fail("lr", "must be positive");
  for (const auto& [key, value] : {std::pair{"batch_size", d.batchSize}, {"eval_every_steps", d.evalEverySteps}, {"patience", d.patience},
                                   {"holdout_views", d.holdoutViews}})
    if (value < 1) node.fail(key, "must be positive");
  return d;
}

// `transforms`: the training augmentation, the default for calibration views.
QuantizationConfig parseQuantization(const ConfigNode& node, const TransformOptions& transforms) {
  QuantizationConfig q;
  const ConfigNode weights = node.child("weights");
  const std::string method = weights.get<std::string>("method", "fgq");
  if (method != "fgq") weights.fail("method", "unknown weight quantization '" + method + "' (expected fgq)");
  const nlohmann::json groupSize = weights.raw("group_size", 4);
  if (!groupSize.is_string() && !groupSize.is_number_integer())
    weights.fail("group_size", "expected a positive integer, \"filter\" or \"layer\", found " + groupSize.dump());
  try {
    q.fgq.groups = GroupSpec::parse(groupSize.is_string() ? groupSize.get<std::string>() : std::to_string(groupSize.get<int64_t>()));
  } catch (const Error& e) {
    weights.fail("group_size", e.what());
  }
  const std::string solver = weights.get<std::string>("solver", "exact");
  try {
    q.fgq.solver = parseTernarySolver(solver);
  } catch (const Error& e) {
    weights.fail("solver", e.what());
  }
  q.fgq.keepLayers = weights.get<std::vector<std::string>>("keep_layers", q.fgq.keepLayers);

  const ConfigNode activations = node.child("activations");
  q.fgq.activationBits = activations.get<int64_t>("bits", q.fgq.activationBits);
  if (q.fgq.activationBits != 0 && (q.fgq.activationBits < 2 || q.fgq.activationBits > 16))
    activations.fail("bits", "must be 0 (FP32 activations) or 2..16, found " + std::to_string(q.fgq.activationBits));
  try {
    q.calibration.method = parseCalibrationMethod(activations.get<std::string>("calibration", calibrationMethodName(q.calibration.method)));
  } catch (const Error& e) {
    activations.fail("calibration", e.what());
  }
  q.calibration.percentile = activations.get<double>("percentile", q.calibration.percentile);
  if (q.calibration.percentile <= 0 || q.calibration.percentile > 100) activations.fail("percentile", "must be in (0, 100]");
  q.calibration.pow2 = activations.get<bool>("pow2", q.calibration.pow2);

  q.bnReestimation = node.get<bool>("bn_reestimation", q.bnReestimation);
  parseCalibration(node.child("calibration"), transforms, q);
  const std::string statistics = node.get<std::string>("bn_statistics", q.bnStatistics == BnStatistics::kCorrect ? "correct" : "reestimate");
  if (statistics == "correct")
    q.bnStatistics = BnStatistics::kCorrect;
  else if (statistics == "reestimate")
    q.bnStatistics = BnStatistics::kReestimate;
  else
    node.fail("bn_statistics", "expected \"correct\" or \"reestimate\", found \"" + statistics + "\"");
  q.distillation = parseBnDistillation(node.child("distillation"), q.distillation, q.calibrationSeed);
  return q;
}

ModelConfig parseModel(const ConfigNode& model) {
  ModelConfig m;
  m.arch = model.require<std::string>("arch");
  m.options.inChannels = model.get<int64_t>("in_channels", m.options.inChannels);
  m.options.numClasses = model.require<int64_t>("num_classes");
  m.options.inputSize = model.get<int64_t>("input_size", m.options.inputSize);
  m.options.seed = static_cast<uint64_t>(model.get<int64_t>("init_seed", 0));
  m.weights = model.get<std::string>("weights", "");
  const bool onnxFile = m.weights.ends_with(".onnx");
  if (m.arch == kOnnxArch) {
    if (!onnxFile) model.fail("weights", "arch \"onnx\" reads the model from an .onnx file, found '" + m.weights + "'");
    return m;
  }
  if (onnxFile) model.fail("arch", "'" + m.arch + "' with the ONNX file '" + m.weights + "': its architecture is in the file (set arch to \"onnx\")");
  const auto names = modelNames();
  if (std::find(names.begin(), names.end(), m.arch) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    model.fail("arch", "unknown model '" + m.arch + "' (known: " + known + ", or onnx)");
  }
  return m;
}

DataConfig parseData(const ConfigNode& data) {
  DataConfig d;
  d.dataset = data.require<std::string>("dataset");
  if (d.dataset == "fashion_mnist") {
    d.root = data.get<std::string>("root", kFashionMnistDefaultRoot);
  } else if (d.dataset == "image_folder") {
    d.trainRoot = data.require<std::string>("train_root");
    d.evalRoot = data.require<std::string>("eval_root");
    d.evalGroundTruth = data.get<std::string>("eval_ground_truth", "");
    d.synsets = data.get<std::string>("synsets", "");
  } else {
    data.fail("dataset", "unknown dataset '" + d.dataset + "' (expected fashion_mnist or image_folder)");
  }
  const std::string onBad = data.get<std::string>("on_bad_image", "error");
  if (onBad != "error" && onBad != "skip") data.fail("on_bad_image", "expected \"error\" or \"skip\", found \"" + onBad + "\"");
  d.skipBadImages = onBad == "skip";
  d.maxImagePixels = data.get<int64_t>("max_image_pixels", d.maxImagePixels);
  if (d.maxImagePixels <= 0) data.fail("max_image_pixels", "must be positive");
  d.limitTrain = data.get<int64_t>("limit_train", d.limitTrain);
  d.limitEval = data.get<int64_t>("limit_eval", d.limitEval);
  const ConfigNode normalize = data.child("normalize");
  const auto mean = normalize.get<std::vector<double>>("mean", {});
  const auto std = normalize.get<std::vector<double>>("std", {});
  if (mean.size() != std.size()) normalize.fail("std", "needs as many values as mean");
  for (double s : std)
    if (s <= 0) normalize.fail("std", "values must be positive");
  d.trainTransforms = parseTransforms(data.child("train_transforms"), mean, std);
  d.evalTransforms = parseTransforms(data.child("eval_transforms"), mean, std);
  const std::string preprocessing = data.get<std::string>("preprocessing", "torchvision");
  if (preprocessing != "torchvision" && preprocessing != "opencv")
    data.fail("preprocessing", "expected \"torchvision\" or \"opencv\", found \"" + preprocessing + "\"");
  d.trainTransforms.preprocessing = d.evalTransforms.preprocessing =
      preprocessing == "opencv" ? Preprocessing::opencv : Preprocessing::torchvision;
  return d;
}

TrainConfig parseTrain(const ConfigNode& train) {
  TrainConfig t;
  t.epochs = train.require<int64_t>("epochs");
  t.batchSize = train.get<int64_t>("batch_size", t.batchSize);
  t.evalBatchSize = train.get<int64_t>("eval_batch_size", t.evalBatchSize);
  t.seed = static_cast<uint64_t>(train.get<int64_t>("seed", 0));
  t.labelSmoothing = train.get<double>("label_smoothing", t.labelSmoothing);
  t.checkpointEverySteps = train.get<int64_t>("checkpoint_every_steps", t.checkpointEverySteps);
  if (t.epochs < 0) train.fail("epochs", "must be >= 0");
  if (t.batchSize <= 0) train.fail("batch_size", "must be positive");
  if (t.evalBatchSize <= 0) train.fail("eval_batch_size", "must be positive");
  if (t.checkpointEverySteps <= 0) train.fail("checkpoint_every_steps", "must be positive");
  if (t.labelSmoothing < 0 || t.labelSmoothing >= 1) train.fail("label_smoothing", "must be in [0, 1)");
  return t;
}

}  // namespace

Experiment parseExperiment(const ConfigNode& root) {
  Experiment e;
  e.name = root.require<std::string>("name");
  e.model = parseModel(root.child("model"));
  e.data = parseData(root.child("data"));
  e.train = parseTrain(root.child("train"));
  e.optimizer = parseOptimizer(root.child("optimizer"), e.train.epochs > 0);
  e.schedule = parseSchedule(root.child("schedule"));

  if (root.has("quantization")) e.quantization = parseQuantization(root.child("quantization"), e.data.trainTransforms);
  if (root.has("vbd")) {
    if (e.quantization) root.fail("vbd", "give either a quantization (FGQ) block or a vbd block, not both");
    if (e.model.weights.empty()) root.fail("vbd", "compresses a trained model: model.weights must name it");
    e.vbd = parseVbd(root.child("vbd"), e);
  }
  if (root.has("finetune")) {
    if (!e.quantization) root.fail("finetune", "fine-tunes a compressed model: it needs a quantization block");
    if (e.train.epochs > 0) root.fail("finetune", "give either train.epochs or a finetune block, not both");
    e.finetune = parseFinetune(root.child("finetune"), e);
  }

  const ConfigNode distributed = root.child("distributed");
  e.distributed.syncBatchNorm = distributed.get<bool>("sync_batch_norm", true);
  const double bucketMb = distributed.get<double>("bucket_mb", 4.0);
  if (!(bucketMb > 0)) distributed.fail("bucket_mb", "must be positive");
  e.distributed.bucketBytes = static_cast<int64_t>(bucketMb * (1 << 20));
  e.outputDir = root.child("output").get<std::string>("dir", "runs/" + e.name);
  root.finish();
  e.resolved = root.resolved();
  return e;
}

int64_t QuantizationConfig::views() const {
  if (calibrationViews > 0) return calibrationViews;
  return calibrationImages > 0 ? (kCalibrationSamples + calibrationImages - 1) / calibrationImages : 1;
}

LrSchedule makeSchedule(const ScheduleConfig& c, double lr, int64_t stepsPerEpoch, int64_t totalSteps) {
  auto steps = [&](double epochs) { return static_cast<int64_t>(std::llround(epochs * static_cast<double>(stepsPerEpoch))); };
  LrSchedule s;
  s.type = c.type;
  s.baseLr = lr;
  s.warmupSteps = steps(c.warmupEpochs);
  s.stepSize = steps(c.stepSize);
  for (double m : c.milestones) s.milestones.push_back(steps(m));
  s.gamma = c.gamma;
  s.minLr = c.minLr;
  s.totalSteps = totalSteps;
  return s;
}

}  // namespace fgq

#include "train/Trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/AtomicFile.h"
#include "data/DataLoader.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "data/RepeatedDataset.h"
#include "autograd/Functions.h"
#include "layers/ops/Ops.h"
#include "train/Adam.h"
#include "train/Checkpoint.h"
#include "train/Compression.h"
#include "quant/QuantizedModelFile.h"
#include "train/Evaluate.h"
#include "train/Measures.h"
#include "train/Progress.h"
#include "train/Sgd.h"
#include "train/VbdTraining.h"

namespace fgq {
namespace fs = std::filesystem;

namespace {

std::atomic<bool> gStopRequested{false};

uint64_t stepSeed(uint64_t seed, int64_t step) { return seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(step) + 1; }

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& o, std::vector<Variable> parameters) {
  if (o.type == "sgd") return std::make_unique<Sgd>(std::move(parameters), SgdOptions{o.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov});
  return std::make_unique<Adam>(std::move(parameters),
                                AdamOptions{o.lr, o.betas[0], o.betas[1], o.eps, o.weightDecay, o.type == "adamw"});
}

void writeJson(const std::string& path, const nlohmann::json& json) { writeFileAtomically(path, json.dump(2) + "\n"); }

// Keeps the metrics of epochs before `epoch` (a resumed run rewrites the rest).
void truncateMetrics(const std::string& path, int64_t epoch) {
  std::ifstream in(path);
  std::string kept, line;
  while (std::getline(in, line))
    if (!line.empty() && nlohmann::json::parse(line).value("epoch", 0) <= epoch) kept += line + "\n";
  writeFileAtomically(path, kept);
}

void appendLine(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::app);
  out << json.dump() << "\n";
  if (!out) throw Error(path + ": cannot append metrics");
}

// The output directory: created, writable, and not silently reused.
void prepareOutput(const Experiment& e, const RunOptions& options) {
  std::error_code ec;
  fs::create_directories(e.outputDir, ec);
  if (ec || !fs::is_directory(e.outputDir)) throw Error(e.outputDir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
  const std::string checkpoint = e.outputDir + "/checkpoint.safetensors";
  if (options.resume) {
    if (!fs::exists(checkpoint)) throw Error(checkpoint + ": nothing to resume (no checkpoint in the output directory)");
    std::ifstream in(e.outputDir + "/config.json");
    const nlohmann::json saved = nlohmann::json::parse(in, nullptr, false);
    if (saved != e.resolved) {
      const nlohmann::json diff = nlohmann::json::diff(saved, e.resolved);
      throw Error(e.outputDir + "/config.json: the config differs from the run being resumed (" + diff.dump() + ")");
    }
    return;
  }
  if (fs::exists(checkpoint) && !options.overwrite)
    throw Error(e.outputDir + ": holds a run already (checkpoint.safetensors); pass --resume to continue it or --overwrite to start again");
  fs::remove(e.outputDir + "/metrics.jsonl", ec);
  writeJson(e.outputDir + "/config.json", e.resolved);
}

}  // namespace

void requestStop() { gStopRequested = true; }

std::unique_ptr<Dataset> makeDataset(const Experiment& e, bool trainSplit, const TransformOptions& t, bool withLabels) {
  const DataConfig& d = e.data;
  if (d.dataset == "fashion_mnist") return std::make_unique<FashionMnist>(d.root, trainSplit ? "train" : "test", t, withLabels);
  const int64_t channels = t.mean.empty() ? 3 : static_cast<int64_t>(t.mean.size());
  const std::string& root = trainSplit ? d.trainRoot : d.evalRoot;
  ImageFolderOptions options{channels, d.skipBadImages, trainSplit ? "" : d.evalGroundTruth, d.synsets};
  auto folder = std::make_unique<ImageFolder>(root, t, options);
  const int64_t classes = folder->numClasses();
  if (withLabels && classes > 0 && classes != e.model.options.numClasses)
    throw Error(root + ": " + std::to_string(classes) + " classes, but model.num_classes is " + std::to_string(e.model.options.numClasses) +
                (d.synsets.empty() ? " (for a subset of the classes give data.synsets, the full list of class names)" : ""));
  return folder;
}

namespace {

// What the training phase of a run does: plain training (train block) or distillation fine-tuning of a
// compressed model (finetune block); none for a pure conversion.
struct TrainingPlan {
  int64_t totalSteps = 0, batchSize = 1, checkpointEverySteps = 1;
  uint64_t seed = 0;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double labelSmoothing = 0;
  bool distill = false;            // L1 to the teacher's logits ...
  double crossEntropyWeight = 1;   // ... plus this times cross-entropy (labels read only when > 0)
  bool evalEachEpoch = true;
  std::unique_ptr<Dataset> data;
  std::unique_ptr<DataLoader> loader;
};

TrainingPlan planTraining(const Experiment& e) {
  TrainingPlan plan;
  if (e.finetune) {
    const FinetuneConfig& f = *e.finetune;
    std::unique_ptr<Dataset> base =
        f.folder.empty() ? makeDataset(e, true, f.transforms, f.crossEntropyWeight > 0)
                         : makeUnlabeledFolder(e, f.folder, f.transforms);
    const int64_t distinct = f.images > 0 ? std::min(f.images, base->size()) : base->size();
    plan.data = std::make_unique<RepeatedDataset>(std::move(base), distinct, std::max(distinct, f.batchSize));
    plan.totalSteps = f.steps > 0 ? f.steps : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(f.epochs * static_cast<double>(distinct) / static_cast<double>(f.batchSize))));
    plan.batchSize = f.batchSize;
    plan.checkpointEverySteps = f.checkpointEverySteps;
    plan.seed = f.seed;
    plan.optimizer = f.optimizer;
    plan.schedule = f.schedule;
    plan.distill = true;
    plan.crossEntropyWeight = f.crossEntropyWeight;
    plan.evalEachEpoch = false;
  } else if (e.train.epochs > 0) {
    plan.data = makeDataset(e, true, e.data.trainTransforms);
    plan.batchSize = e.train.batchSize;
    plan.checkpointEverySteps = e.train.checkpointEverySteps;
    plan.seed = e.train.seed;
    plan.optimizer = e.optimizer;
    plan.schedule = e.schedule;
    plan.labelSmoothing = e.train.labelSmoothing;
  }
  if (plan.data) {
    plan.loader = std::make_unique<DataLoader>(*plan.data, LoaderOptions{plan.batchSize, true, true, plan.seed, 2, e.finetune ? -1 : e.data.limitTrain});
    if (!e.finetune) plan.totalSteps = e.train.epochs * plan.loader->stepsPerEpoch();
  }
  return plan;
}

}  // namespace

std::unique_ptr<Dataset> makeUnlabeledFolder(const Experiment& e, const std::string& folder, const TransformOptions& t) {
  ImageFolderOptions options;
  options.channels = e.model.options.inChannels;
  options.skipBadImages = e.data.skipBadImages;
  return std::make_unique<ImageFolder>(folder, t, options);
}

nlohmann::json runExperiment(const Experiment& e, const RunOptions& options) {
  gStopRequested = false;
  const auto sessionStart = std::chrono::steady_clock::now();
  prepareOutput(e, options);
  if (e.vbd) return runVbd(e);
  const std::string dir = e.outputDir, checkpointPath = dir + "/checkpoint.safetensors";

  TrainingPlan plan = planTraining(e);
  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  DataLoader evalLoader(*evalSet, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval});
  auto model = createModel(e.model.arch, e.model.options);
  if (!e.model.weights.empty()) loadModel(e.model.weights, *model);
  std::unique_ptr<Module> teacher;  // the FP32 model a compressed one is compared with and distilled from
  std::vector<std::string> keptLayers;
  double conversionSeconds = 0;
  int64_t calibrationImages = 0;
  if (e.quantization) {
    if (e.model.weights.empty()) throw Error(e.name + ": quantization needs model.weights, the trained FP32 model to convert");
    teacher = createModel(e.model.arch, e.model.options);
    loadModel(e.model.weights, *teacher);
    teacher->eval();
    if (options.resume) {
      keptLayers = installFgq(*model, e.quantization->fgq);  // calibrated state comes from the checkpoint
    } else {
      const auto start = std::chrono::steady_clock::now();
      const std::vector<Tensor> batches = calibrationBatches(e);
      keptLayers = convertFgq(*model, *e.quantization, batches);
      for (const Tensor& batch : batches) calibrationImages += batch.dim(0);
      conversionSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cerr << "converted to FGQ (N=" << e.quantization->fgq.groups.str() << ", " << e.quantization->fgq.activationBits
                << "-bit activations" << (e.quantization->bnReestimation ? ", batch norm re-estimated" : "") << ") from "
                << calibrationImages << " calibration images in " << formatDuration(conversionSeconds) << "\n";
    }
  }
  auto optimizer = makeOptimizer(plan.optimizer, model->parameters());
  const int64_t stepsPerEpoch = plan.loader ? plan.loader->stepsPerEpoch() : 0;
  const int64_t epochs = stepsPerEpoch ? (plan.totalSteps + stepsPerEpoch - 1) / stepsPerEpoch : 0;
  const LrSchedule schedule = makeSchedule(plan.schedule, plan.optimizer.lr, stepsPerEpoch, plan.totalSteps);

  nlohmann::json progress = {{"epoch", 0}, {"step", 0}, {"loss_sum", 0.0}, {"correct", 0}, {"seen", 0},
                             {"best_top1", -1.0}, {"best_epoch", 0}, {"elapsed_seconds", 0.0}, {"train_seconds", 0.0},
                             {"conversion_seconds", conversionSeconds}, {"calibration_images", calibrationImages}};
  if (options.resume) {
    progress = loadCheckpoint(checkpointPath, *model, *optimizer);
    truncateMetrics(dir + "/metrics.jsonl", progress["epoch"].get<int64_t>());
    std::cerr << "resuming " << dir << " at epoch " << progress["epoch"].get<int64_t>() + 1 << ", step "
              << progress["step"].get<int64_t>() << "\n";
  }
  std::cerr << e.name << ": " << e.model.arch << (plan.distill ? " distilled from its FP32 teacher" : "")
            << (plan.data ? " on " + plan.data->describe() : std::string()) << ", evaluated on " << evalSet->describe() << "\n";

  const double elapsedBefore = progress["elapsed_seconds"];
  auto elapsed = [&] { return elapsedBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - sessionStart).count(); };
  double trainSeconds = progress["train_seconds"];
  int64_t sessionSteps = 0, steadyImages = 0;
  double steadySeconds = 0;
  bool interrupted = false;

  for (int64_t epoch = progress["epoch"]; epoch < epochs && !interrupted; ++epoch) {
    int64_t step = progress["step"];
    double lossSum = progress["loss_sum"];
    int64_t correct = progress["correct"], seen = progress["seen"];
    const int64_t epochSteps = std::min(stepsPerEpoch, plan.totalSteps - epoch * stepsPerEpoch);
    model->train();
    plan.loader->startEpoch(epoch, step);
    Progress bar(epoch, epochs, epochSteps, plan.batchSize, plan.distill ? "agreement" : "acc");
    auto saveProgress = [&](int64_t nextEpoch, int64_t nextStep) {
      progress["epoch"] = nextEpoch;
      progress["step"] = nextStep;
      progress["loss_sum"] = nextStep ? lossSum : 0.0;
      progress["correct"] = nextStep ? correct : 0;
      progress["seen"] = nextStep ? seen : 0;
      progress["elapsed_seconds"] = elapsed();
      progress["train_seconds"] = trainSeconds;
      saveCheckpoint(checkpointPath, *model, *optimizer, progress);
    };
    const auto epochStart = std::chrono::steady_clock::now();
    while (step < epochSteps) {
      const auto stepStart = std::chrono::steady_clock::now();
      auto batch = plan.loader->next();
      const int64_t globalStep = epoch * stepsPerEpoch + step;
      optimizer->setLearningRate(schedule.at(globalStep));
      model->reseed(stepSeed(plan.seed, globalStep));
      optimizer->zeroGrad();
      Tensor target;
      if (plan.distill) {  // the teacher first: its freed activations are cached blocks the student's forward reuses
        NoGradGuard noGrad;
        target = (*teacher)(Variable(batch->images)).tensor().plain();
      }
      const Variable logits = (*model)(Variable(batch->images));
      Variable loss;
      if (plan.distill) {
        loss = l1Loss(logits, target);
        if (plan.crossEntropyWeight > 0) loss = add(loss, scale(crossEntropy(logits, batch->labels), plan.crossEntropyWeight));
        correct += countAgreements(logits.tensor(), target);
      } else {
        loss = crossEntropy(logits, batch->labels, plan.labelSmoothing);
        correct += countCorrect(logits.tensor(), batch->labels).top1;
      }
      loss.backward();
      optimizer->step();
      const int64_t n = batch->images.dim(0);
      if (sessionSteps++ > 0) {  // the first step creates primitives and touches fresh memory
        steadySeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - stepStart).count();
        steadyImages += n;
      }
      lossSum += loss.tensor().itemAsDouble() * static_cast<double>(n);
      seen += n;
      bar.update(step, lossSum / static_cast<double>(seen), 100.0 * static_cast<double>(correct) / static_cast<double>(seen));
      ++step;
      if (options.interruptAfter >= 0 && globalStep + 1 >= options.interruptAfter) {
        interrupted = true;  // as a kill: no checkpoint beyond the periodic ones
        break;
      }
      if (gStopRequested) {
        saveProgress(epoch, step);
        interrupted = true;
        break;
      }
      if ((globalStep + 1) % plan.checkpointEverySteps == 0 && step < epochSteps) saveProgress(epoch, step);
    }
    bar.finish();
    trainSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();
    if (interrupted) break;

    nlohmann::json metrics = {{"epoch", epoch + 1},
                              {"train_loss", lossSum / static_cast<double>(seen)},
                              {plan.distill ? "train_teacher_agreement" : "train_top1", 100.0 * static_cast<double>(correct) / static_cast<double>(seen)},
                              {"lr", optimizer->learningRate()},
                              {"elapsed_seconds", elapsed()}};
    if (plan.evalEachEpoch) {
      const EvalResult r = evaluate(*model, evalLoader);
      metrics.update({{"eval_loss", r.loss}, {"eval_top1", r.top1}, {"eval_top5", r.top5}});
      std::cerr << "epoch " << epoch + 1 << "/" << epochs << ": train loss " << metrics["train_loss"].get<double>() << ", eval top-1 "
                << r.top1 << "%, top-5 " << r.top5 << "%, " << formatDuration(elapsed()) << " elapsed\n";
      if (r.top1 > progress["best_top1"].get<double>()) {
        progress["best_top1"] = r.top1;
        progress["best_epoch"] = epoch + 1;
        saveModel(dir + "/best.safetensors", *model);
      }
    }
    appendLine(dir + "/metrics.jsonl", metrics);
    saveProgress(epoch + 1, 0);
  }

  if (interrupted) {
    std::cerr << "stopped; continue with --resume\n";
    return {{"interrupted", true}};
  }
  Random random(0);
  const auto evalStart = std::chrono::steady_clock::now();
  const nlohmann::json measures = measureModel(*model, teacher.get(), evalLoader, evalSet->get(0, random).image.shape());
  const double evalSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - evalStart).count();
  const double top1 = measures["top1"];
  nlohmann::json summary = {{"name", e.name},
                            {"final_top1", top1},
                            {"final_top5", measures["top5"]},
                            {"final_loss", measures["loss"]},
                            {"best_top1", std::max(progress["best_top1"].get<double>(), top1)},
                            {"best_epoch", progress["best_epoch"]},
                            {"epochs", epochs},
                            {"steps", plan.totalSteps},
                            {"wall_seconds", elapsed()},
                            {"train_seconds", trainSeconds},
                            {"train_images_per_second", trainSeconds > 0 ? plan.totalSteps * plan.batchSize / trainSeconds : 0.0},
                            {"steady_images_per_second", steadySeconds > 0 ? static_cast<double>(steadyImages) / steadySeconds : 0.0},
                            {"phase_seconds", {{"conversion", progress["conversion_seconds"]}, {"training", trainSeconds},
                                               {"final_evaluation", evalSeconds}}},
                            {"peak_memory_bytes", peakResidentBytes()},
                            {"cost", measures["cost"]}};
  if (teacher) {
    summary["calibration_images"] = progress["calibration_images"];
    for (const char* key : {"teacher_top1", "drop", "agreement", "logit_l1"}) summary[key] = measures[key];
    summary["kept_layers"] = keptLayers;
    saveQuantizedModel(dir + "/quantized.safetensors", *model, {{"config", e.resolved}});
    const auto& cost = measures["cost"];
    std::cerr << "FP32 top-1 " << measures["teacher_top1"].get<double>() << "%, compressed " << top1 << "% (agreement "
              << measures["agreement"].get<double>() << "%); " << cost["multiplications_eliminated_percent"].get<double>()
              << "% of multiplications eliminated, " << cost["bits_per_weight"].get<double>() << " bits per weight, "
              << cost["model_bytes"].get<int64_t>() << " bytes (FP32 " << cost["fp32_bytes"].get<int64_t>() << ")\n";
  } else {
    saveModel(dir + "/model.safetensors", *model);
  }
  writeJson(dir + "/summary.json", summary);
  std::cerr << "done: top-1 " << top1 << "% (best " << summary["best_top1"].get<double>() << "%), "
            << formatDuration(elapsed()) << "; wrote " << dir << "/summary.json\n";
  return summary;
}

}  // namespace fgq

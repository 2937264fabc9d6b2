#include "train/Trainer.h"

#include <chrono>
#include <iostream>

#include "core/Communicator.h"
#include "quant/QuantizedModelFile.h"
#include "train/BatchNormReestimation.h"
#include "train/Checkpoint.h"
#include "train/Compression.h"
#include "train/Datasets.h"
#include "train/Measures.h"
#include "train/ModelSource.h"
#include "train/Progress.h"
#include "train/RunDirectory.h"
#include "train/TeacherRecord.h"
#include "train/VbdTraining.h"

namespace fgq {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Models {
  std::unique_ptr<Module> model;
  std::unique_ptr<Module> teacher;  // the FP32 model a compressed one is compared with and distilled from
};

Models loadModels(const Experiment& e) {
  Models m;
  m.model = e.model.weights.empty() ? buildModel(e.model) : trainedModel(e.model, e.model.weights);
  if (e.quantization) {
    if (e.model.weights.empty()) throw Error(e.name + ": quantization needs model.weights, the trained FP32 model to convert");
    m.teacher = trainedModel(e.model, e.model.weights);
    m.teacher->eval();
  }
  return m;
}

struct Conversion {
  std::vector<std::string> keptLayers;
  double seconds = 0;
  int64_t calibrationImages = 0, calibrationViews = 1;
  std::string calibrationMode;
  nlohmann::json bnDistillation;
};

// FGQ conversion; a resumed run only installs the quantizers, whose calibrated state is in the checkpoint.
Conversion convertPhase(const Experiment& e, Module& model, Module* teacher, bool resume) {
  Conversion c;
  if (!e.quantization) return c;
  const QuantizationConfig& q = *e.quantization;
  if (resume) {
    c.keptLayers = installFgq(model, q.fgq);
    return c;
  }
  const auto start = Clock::now();
  const CalibrationData data = calibrationData(e, model);
  c.keptLayers = convertFgq(model, q, data.batches, data.synthesized);
  c.bnDistillation = distillConversion(model, *teacher, q, data);
  c.calibrationImages = data.images;
  c.calibrationViews = data.views;
  c.calibrationMode = data.mode;
  c.seconds = secondsSince(start);
  // A graph whose batch norms were folded into its convs (an ONNX file exported with constant folding) has none to re-estimate.
  const bool batchNorm = !runningStatistics(model).mean.empty();
  const char* statistics = !q.bnReestimation ? ""
                           : !batchNorm      ? ", no batch norm to re-estimate (folded into the convs)"
                           : q.bnStatistics == BnStatistics::kCorrect ? ", batch norm corrected"
                                                                      : ", batch norm re-estimated";
  std::cerr << "converted to FGQ (N=" << q.fgq.groups.str() << ", " << q.fgq.activationBits << "-bit activations" << statistics << ") from "
            << c.calibrationImages << " calibration images" << (c.calibrationViews > 1 ? " (" + std::to_string(c.calibrationViews) + " views each)" : "")
            << " in " << formatDuration(c.seconds) << "\n";
  return c;
}

nlohmann::json initialProgress(const Conversion& c) {
  return {{"epoch", 0}, {"step", 0}, {"loss_sum", 0.0}, {"correct", 0}, {"seen", 0}, {"best_top1", -1.0}, {"best_epoch", 0},
          {"elapsed_seconds", 0.0}, {"train_seconds", 0.0}, {"conversion_seconds", c.seconds}, {"calibration_images", c.calibrationImages},
          {"calibration_views", c.calibrationViews}, {"calibration_mode", c.calibrationMode},
          {"bn_distillation", c.bnDistillation}};
}

nlohmann::json summaryOf(const Experiment& e, const TrainingPlan& plan, const TrainingLoop& loop, const nlohmann::json& measures,
                         double evalSeconds) {
  const nlohmann::json& progress = loop.progress();
  const double top1 = measures["top1"], trainSeconds = loop.trainSeconds();
  return {{"name", e.name},
          {"final_top1", top1},
          {"final_top5", measures["top5"]},
          {"final_loss", measures["loss"]},
          {"best_top1", std::max(progress["best_top1"].get<double>(), top1)},
          {"best_epoch", progress["best_epoch"]},
          {"epochs", plan.epochs()},
          {"steps", plan.totalSteps},
          {"wall_seconds", loop.elapsedSeconds()},
          {"train_seconds", trainSeconds},
          {"train_images_per_second", trainSeconds > 0 ? plan.totalSteps * plan.batchSize / trainSeconds : 0.0},
          {"steady_images_per_second", loop.steadyImagesPerSecond()},
          {"phase_seconds", {{"conversion", progress["conversion_seconds"]}, {"training", trainSeconds}, {"final_evaluation", evalSeconds}}},
          {"peak_memory_bytes", peakResidentBytes()},
          {"cost", measures["cost"]}};
}

// Adds what a compressed run reports beside its FP32 teacher, and saves the compressed model.
void saveCompressed(const Experiment& e, const Module& model, const Conversion& conversion, const nlohmann::json& measures,
                    nlohmann::json& summary) {
  for (const char* key : {"teacher_top1", "drop", "agreement", "logit_l1"}) summary[key] = measures[key];
  summary["kept_layers"] = conversion.keptLayers;
  const std::string path = e.outputDir + "/quantized.safetensors";
  saveQuantizedModel(path, model, {{"config", e.resolved}, {"teacher", teacherRecord(e.model.weights, path)}});
  const auto& cost = measures["cost"];
  std::cerr << "FP32 top-1 " << measures["teacher_top1"].get<double>() << "%, compressed " << measures["top1"].get<double>()
            << "% (agreement " << measures["agreement"].get<double>() << "%); " << cost["multiplications_eliminated_percent"].get<double>()
            << "% of multiplications eliminated, " << cost["bits_per_weight"].get<double>() << " bits per weight, "
            << cost["model_bytes"].get<int64_t>() << " bytes (FP32 " << cost["fp32_bytes"].get<int64_t>() << ")\n";
}

// Rank 0 prepares the output directory; the others learn from it whether the run resumes (a failure
// there stops every rank: fgq-train aborts the job).
bool prepareOnMainRank(const Experiment& e, const RunOptions& options) {
  const Communicator& world = Communicator::world();
  std::byte resume{0};
  if (world.isMain()) resume = std::byte{prepareRunDirectory(e, options.resume, options.overwrite)};
  world.broadcast(std::span<std::byte>(&resume, 1));
  return resume != std::byte{0};
}

}  // namespace

nlohmann::json runExperiment(const Experiment& e, const RunOptions& options) {
  const auto sessionStart = Clock::now();
  const Communicator& world = Communicator::world();
  RunOptions run = options;
  run.resume = prepareOnMainRank(e, options);
  if (e.vbd) return runVbd(e);
  TrainingPlan plan = planTraining(e);
  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  DataLoader evalLoader(*evalSet, rankSlice(world, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval}));
  Models m = loadModels(e);
  const Conversion conversion = convertPhase(e, *m.model, m.teacher.get(), run.resume);
  TrainingLoop loop(e.outputDir, plan, *m.model, m.teacher.get(), evalLoader, run, initialProgress(conversion), sessionStart);
  std::cerr << e.name << ": " << e.model.arch << (plan.distill ? " distilled from its FP32 teacher" : "")
            << (plan.data ? " on " + plan.data->describe() : std::string()) << ", evaluated on " << evalSet->describe() << "\n";
  if (!loop.run()) {
    std::cerr << "stopped; continue with --resume\n";
    return {{"interrupted", true}};
  }
  const auto evalStart = Clock::now();
  Random random(0);
  const nlohmann::json measures = measureModel(*m.model, m.teacher.get(), evalLoader, evalSet->get(0, random).image.shape());
  nlohmann::json summary = summaryOf(e, plan, loop, measures, secondsSince(evalStart));
  if (world.distributed()) {
    summary["processes"] = world.size();
    if (const GradientAverager* g = loop.gradientAverager())
      summary["allreduce"] = {{"seconds", g->sumSeconds()}, {"exposed_seconds", g->exposedSeconds()},
                              {"hidden_share", g->sumSeconds() > 0 ? 1.0 - g->exposedSeconds() / g->sumSeconds() : 0.0}};
  }
  if (!world.isMain()) return summary;
  if (m.teacher) {
    for (const char* key : {"calibration_images", "calibration_views", "calibration_mode", "bn_distillation"}) summary[key] = loop.progress().value(key, nlohmann::json());
    saveCompressed(e, *m.model, conversion, measures, summary);
  } else {
    saveModel(e.outputDir + "/model.safetensors", *m.model);
  }
  writeJson(e.outputDir + "/summary.json", summary);
  std::cerr << "done: top-1 " << measures["top1"].get<double>() << "% (best " << summary["best_top1"].get<double>() << "%), "
            << formatDuration(loop.elapsedSeconds()) << "; wrote " << e.outputDir << "/summary.json\n";
  return summary;
}

}  // namespace fgq

#include "train/VbdTraining.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

#include "autograd/Functions.h"
#include "core/AtomicFile.h"
#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "data/DataLoader.h"
#include "data/ImageFolder.h"
#include "data/RepeatedDataset.h"
#include "layers/ops/Ops.h"
#include "quant/Fgq.h"
#include "quant/Vbd.h"
#include "train/Adam.h"
#include "train/Checkpoint.h"
#include "train/Measures.h"
#include "train/Progress.h"
#include "train/Trainer.h"

namespace fgq {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

std::unique_ptr<Module> foldedTeacherCopy(const Experiment& e) {
  auto model = createModel(e.model.arch, e.model.options);
  loadModel(e.model.weights, *model);
  model->eval();
  foldBatchNorm(*model);
  return model;
}

// The images VBD learns from and the held-out ones it stops on: the first `images` of the source (with
// augmentation, repeated into batches) and the next `holdoutImages` (without).
struct VbdData {
  std::unique_ptr<Dataset> views;
  std::vector<Tensor> holdout;
};

VbdData vbdData(const Experiment& e) {
  const VbdConfig& v = *e.vbd;
  auto source = [&](const TransformOptions& t) -> std::unique_ptr<Dataset> {
    if (v.folder.empty()) return makeDataset(e, true, t, false);
    return makeUnlabeledFolder(e, v.folder, t);
  };
  VbdData d;
  auto train = source(v.transforms);
  FGQ_CHECK(train->size() >= v.images + v.holdoutImages,
            train->describe() << " has " << train->size() << " images; vbd needs images + holdout_images = " << v.images + v.holdoutImages);
  d.views = std::make_unique<RepeatedDataset>(std::move(train), v.images, std::max(v.images, v.batchSize));
  if (v.holdoutImages > 0) {
    auto plain = source(e.data.evalTransforms);
    Random random(0);
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < v.holdoutImages; ++i) {
      const Example ex = plain->get(v.images + i, random);
      if (d.holdout.empty()) {
        dims = {v.holdoutImages};
        for (int64_t s : ex.image.shape().dims()) dims.push_back(s);
        d.holdout.push_back(Tensor::empty(Shape(dims)));
      }
      std::copy_n(ex.image.data<float>(), ex.image.numel(), d.holdout[0].data<float>() + i * ex.image.numel());
    }
  }
  return d;
}

double holdoutError(Module& student, Module& teacher, const std::vector<Tensor>& holdout) {
  NoGradGuard noGrad;
  double sum = 0;
  for (const Tensor& batch : holdout)
    sum += l1Loss((student)(Variable(batch)), teacher(Variable(batch)).tensor()).tensor().itemAsDouble();
  return holdout.empty() ? 0 : sum / static_cast<double>(holdout.size());
}

std::map<std::string, Tensor> snapshot(const Module& model) {
  std::map<std::string, Tensor> copy;
  for (const auto& [name, t] : model.stateDict()) copy[name] = t.clone();
  return copy;
}

// Bit depths as they stand: per layer, and the averages (weights and activations, weights, activations).
nlohmann::json bitReport(const std::vector<VbdTensor>& tensors) {
  nlohmann::json layers = nlohmann::json::object();
  double all = 0, allCount = 0, w = 0, wCount = 0;
  for (const VbdTensor& t : tensors) {
    const double b = std::max(0.0f, t.quantizer->bits.tensor().data<float>()[0]);
    const std::string layer = t.name.substr(0, t.name.rfind('.'));
    layers[layer][t.isWeight ? "weight_bits" : "input_bits"] = b;
    all += b * static_cast<double>(t.count);
    allCount += static_cast<double>(t.count);
    if (t.isWeight) {
      w += b * static_cast<double>(t.count);
      wCount += static_cast<double>(t.count);
    }
  }
  return {{"average_bits", all / allCount},
          {"average_weight_bits", w / wCount},
          {"average_activation_bits", (all - w) / (allCount - wCount)},
          {"layers", layers}};
}

void writeBitsTable(const std::string& path, const std::string& name, const nlohmann::json& bits) {
  std::string md = "# " + name + ": learned bit depths\n\n| layer | weight bits | input bits |\n|---|---|---|\n";
  for (const auto& [layer, b] : bits["layers"].items()) {
    char row[256];
    std::snprintf(row, sizeof row, "| %s | %.0f | %.0f |\n", layer.c_str(), b.value("weight_bits", 0.0), b.value("input_bits", 0.0));
    md += row;
  }
  char tail[256];
  std::snprintf(tail, sizeof tail, "\nAverage: %.3f bits (weights %.3f, activations %.3f, per image).\n", bits["average_bits"].get<double>(),
                bits["average_weight_bits"].get<double>(), bits["average_activation_bits"].get<double>());
  writeFileAtomically(path, md + tail);
}

}  // namespace

nlohmann::json runVbd(const Experiment& e) {
  const VbdConfig& v = *e.vbd;
  const auto start = Clock::now();
  const std::string dir = e.outputDir;
  auto teacher = createModel(e.model.arch, e.model.options);
  loadModel(e.model.weights, *teacher);
  teacher->eval();
  auto student = foldedTeacherCopy(e);

  VbdData data = vbdData(e);
  DataLoader loader(*data.views, {v.batchSize, true, true, v.seed, 2, -1});
  std::vector<Tensor> calibration;
  {
    loader.startEpoch(0);
    calibration.push_back(loader.next()->images);
  }
  installVbd(*student, calibration, {v.initialBits, v.edgeBits});
  {
    NoGradGuard noGrad;
    (*student)(Variable(calibration[0]));  // records the input shapes the size term counts
  }
  const std::vector<VbdTensor> tensors = vbdTensors(*student);
  std::cerr << e.name << ": VBD on " << data.views->describe() << ", " << tensors.size() << " quantized tensors, gamma " << v.gamma << "\n";

  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  DataLoader evalLoader(*evalSet, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval});
  std::ofstream metrics(dir + "/metrics.jsonl", std::ios::trunc);

  std::vector<Variable> bitDepths, exponents, offsets, weights;
  for (const VbdTensor& t : tensors) {
    bitDepths.push_back(t.quantizer->bits);
    exponents.push_back(t.quantizer->exponent);
    offsets.push_back(t.quantizer->offset);
  }
  for (auto& [name, layer] : weightedLayers(*student)) {
    weights.push_back(layer->weight);
    if (layer->bias.defined()) weights.push_back(layer->bias);
  }

  int64_t globalStep = 0, epoch = 0;
  auto nextBatch = [&]() {
    auto batch = loader.next();
    if (!batch) {
      loader.startEpoch(++epoch);
      batch = loader.next();
    }
    return batch->images;
  };

  // One stage: Adam per parameter kind (B slowest), early stopping on the held-out images when asked.
  auto stage = [&](const std::string& label, int64_t steps, bool trainBits, bool trainWeights, bool earlyStop) {
    for (Variable& w : weights) w.setRequiresGrad(trainWeights);
    std::vector<std::unique_ptr<Optimizer>> optimizers;
    if (trainBits) optimizers.push_back(std::make_unique<Adam>(bitDepths, AdamOptions{v.lrBits}));
    optimizers.push_back(std::make_unique<Adam>(exponents, AdamOptions{v.lrExponent}));
    optimizers.push_back(std::make_unique<Adam>(offsets, AdamOptions{v.lrOffset}));
    if (trainWeights) optimizers.push_back(std::make_unique<Adam>(weights, AdamOptions{v.lrWeights}));
    double best = INFINITY;
    std::map<std::string, Tensor> bestState;
    int64_t sinceBest = 0;
    Progress bar(0, 1, steps, v.batchSize, "bits");
    double errorSum = 0;
    for (int64_t step = 0; step < steps; ++step, ++globalStep) {
      const Tensor images = nextBatch();
      Tensor target;
      {
        NoGradGuard noGrad;
        target = (*teacher)(Variable(images)).tensor().plain();
      }
      for (auto& o : optimizers) o->zeroGrad();
      const Variable error = l1Loss((*student)(Variable(images)), target);
      const Variable size = averageBits(tensors, v.weightsOnly);
      Variable loss = add(error, scale(size, v.gamma));
      loss.backward();
      for (auto& o : optimizers) o->step();
      errorSum += error.tensor().itemAsDouble();
      bar.update(step, errorSum / static_cast<double>(step + 1), size.tensor().itemAsDouble());
      if ((step + 1) % v.evalEverySteps == 0 || step + 1 == steps) {
        const double held = holdoutError(*student, *teacher, data.holdout);
        metrics << nlohmann::json{{"stage", label}, {"step", globalStep + 1}, {"train_error", errorSum / static_cast<double>(step + 1)},
                                  {"holdout_error", held}, {"average_bits", size.tensor().itemAsDouble()}}.dump()
                << "\n" << std::flush;
        if (earlyStop && !data.holdout.empty()) {
          if (held < best) {
            best = held;
            bestState = snapshot(*student);
            sinceBest = 0;
          } else if (++sinceBest >= v.patience) {
            break;
          }
        }
      }
    }
    bar.finish();
    if (!bestState.empty()) student->loadStateDict(bestState, "best held-out state");
    const nlohmann::json b = bitReport(tensors);
    std::cerr << label << ": average " << b["average_bits"].get<double>() << " bits (weights " << b["average_weight_bits"].get<double>()
              << ", activations " << b["average_activation_bits"].get<double>() << ")\n";
  };

  stage("per-tensor", v.tensorSteps, true, false, false);
  for (auto& [name, layer] : weightedLayers(*student))
    dynamic_cast<VbdQuantizer*>(layer->weightQuantizer())->splitPerChannel(layer->weight.shape()[0]);
  stage("per-channel", v.channelSteps, true, false, false);
  for (const VbdTensor& t : tensors) t.quantizer->ceilAndFreezeBits();
  stage("bits frozen", v.finalSteps, false, true, true);

  // Export, and the exported model against the training graph (with the same rounded E and alpha).
  const std::map<std::string, Tensor> exported = exportVbd(*student);
  saveSafetensors(dir + "/vbd.safetensors", exported, {{kVbdExportKey, nlohmann::json{{"config", e.resolved}}.dump()}});
  auto deployed = foldedTeacherCopy(e);
  loadVbdExport(*deployed, exported, dir + "/vbd.safetensors");
  deployed->eval();
  student->eval();
  double exportDifference = 0;
  {
    NoGradGuard noGrad;
    const Tensor a = (*student)(Variable(calibration[0])).tensor(), b = (*deployed)(Variable(calibration[0])).tensor();
    exportDifference = compare(b, a).maxAbsDiff;
  }

  const nlohmann::json bits = bitReport(tensors);
  writeBitsTable(dir + "/bits.md", e.name, bits);
  Random random(0);
  const Shape imageShape = evalSet->get(0, random).image.shape();
  const nlohmann::json measures = measureModel(*deployed, teacher.get(), evalLoader, imageShape);
  nlohmann::json summary = {{"name", e.name},
                            {"kind", "vbd"},
                            {"gamma", v.gamma},
                            {"images", v.images},
                            {"final_top1", measures["top1"]},
                            {"final_top5", measures["top5"]},
                            {"teacher_top1", measures["teacher_top1"]},
                            {"drop", measures["drop"]},
                            {"agreement", measures["agreement"]},
                            {"logit_l1", measures["logit_l1"]},
                            {"bits", bits},
                            {"export_max_abs_difference", exportDifference},
                            {"wall_seconds", seconds(start)}};
  writeFileAtomically(dir + "/summary.json", summary.dump(2) + "\n");
  std::cerr << "VBD: top-1 " << measures["top1"].get<double>() << "% (FP32 " << measures["teacher_top1"].get<double>() << "%) at "
            << bits["average_bits"].get<double>() << " bits on average; exported model within " << exportDifference
            << " of the training graph; " << formatDuration(seconds(start)) << "\n";
  return summary;
}

}  // namespace fgq

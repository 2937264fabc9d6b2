#include "train/VbdTraining.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>

#include "autograd/Functions.h"
#include "core/AtomicFile.h"
#include "core/Communicator.h"
#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "data/DataLoader.h"
#include "data/ConcatDataset.h"
#include "data/RepeatedDataset.h"
#include "data/TensorDataset.h"
#include "layers/BatchNormFolding.h"
#include "quant/Fgq.h"
#include "quant/Vbd.h"
#include "quant/VbdExport.h"
#include "quant/VbdSizeTerm.h"
#include "train/Adam.h"
#include "train/Checkpoint.h"
#include "train/Datasets.h"
#include "train/Distillation.h"
#include "train/GradientAverager.h"
#include "train/EarlyStopping.h"
#include "train/Measures.h"
#include "train/ModelSource.h"
#include "train/Progress.h"
#include "train/TeacherRecord.h"

namespace fgq {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

std::unique_ptr<Module> foldedTeacherCopy(const Experiment& e) {
  auto model = trainedModel(e.model, e.model.weights);
  model->eval();
  foldBatchNorm(*model);
  return model;
}

// The views VBD learns from and the held-out ones it stops on: `images` distinct images drawn by the
// seed, seen through the augmentation (with `synthetic_images` inputs synthesized from the FP32 model
// beside them), and other augmentations of the same images.
struct VbdData {
  std::unique_ptr<Dataset> views;
  const RepeatedDataset* images = nullptr;  // the real ones among the views
  std::vector<Tensor> holdout;
};

VbdData vbdData(const Experiment& e, Module& fp32) {
  const VbdConfig& v = *e.vbd;
  auto source = [&]() -> std::unique_ptr<Dataset> {
    if (v.folder.empty()) return makeDataset(e, true, v.transforms, false);
    return makeUnlabeledFolder(e, v.folder, v.transforms);
  };
  VbdData d;
  auto train = source();
  FGQ_CHECK(train->size() >= v.images, train->describe() << " has " << train->size() << " images; vbd.images asks for " << v.images);
  const std::vector<int64_t> images = drawImages(*train, v.images, v.seed);
  auto real = std::make_unique<RepeatedDataset>(std::move(train), images, std::max(v.images, v.batchSize));
  d.images = real.get();
  d.views = std::move(real);
  if (v.synthesis.images > 0) {
    SynthesisOptions options = v.synthesis;
    options.seed = v.seed;
    d.views = std::make_unique<ConcatDataset>(std::move(d.views), std::make_unique<TensorDataset>(synthesizeInputs(e, fp32, options), "synthesized inputs"));
  }
  if (v.holdoutViews > 0) {
    RepeatedDataset held(source(), images, std::max(v.images, v.holdoutViews));
    d.holdout = allBatches(held, v.batchSize, v.seed + 1);
  }
  return d;
}

Tensor firstBatch(const Dataset& views, const LoaderOptions& options) {
  DataLoader loader(views, options);
  loader.startEpoch(0);
  return loader.next()->images;
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

struct Stage {
  std::string label;
  int64_t steps;
  bool trainBits, trainWeights, earlyStop;
};

// The three stages' training: Adam per parameter kind, each at its own learning rate, on the views of
// the few images, against L = mean|f - g| + gamma * Bbar. Under mpirun each rank takes its slice of
// every batch and the gradients are averaged (after backward: B receives gradients from two places);
// the held-out views are evaluated in full by every rank, so that all stop at the same step.
class VbdStages {
 public:
  VbdStages(const VbdConfig& v, Module& student, Module& teacher, const std::vector<VbdTensor>& tensors, DataLoader& loader,
            const std::vector<Tensor>& holdout, const std::string& metricsPath)
      : v_(v), student_(student), teacher_(teacher), tensors_(tensors), loader_(loader), holdout_(heldOut(teacher, holdout)),
        ranks_(Communicator::world()) {
    if (ranks_.isMain()) metrics_.open(metricsPath, std::ios::trunc);
    for (const VbdTensor& t : tensors) {
      bitDepths_.push_back(t.quantizer->bits);
      exponents_.push_back(t.quantizer->exponent);
      offsets_.push_back(t.quantizer->offset);
      trainables_.insert(trainables_.end(), {{t.name + ".bits", t.quantizer->bits}, {t.name + ".exponent", t.quantizer->exponent},
                                             {t.name + ".offset", t.quantizer->offset}});
    }
    for (auto& [name, layer] : weightedLayers(student)) {
      weights_.push_back(layer->weight);
      trainables_.emplace_back(name + ".weight", layer->weight);
      if (layer->bias.defined()) {
        weights_.push_back(layer->bias);
        trainables_.emplace_back(name + ".bias", layer->bias);
      }
    }
  }

  // Ends with the best held-out state when the stage stops early.
  void run(const Stage& stage) {
    optimizers_ = optimizersFor(stage);
    stopping_ = EarlyStopping(v_.patience);
    Progress bar(0, 1, stage.steps, v_.batchSize, "bits");
    double errorSum = 0;
    for (int64_t step = 0; step < stage.steps; ++step, ++globalStep_) {
      const auto [error, size] = trainStep();
      errorSum += error;
      bar.update(step, errorSum / static_cast<double>(step + 1), size);
      const bool last = step + 1 == stage.steps;
      if (((step + 1) % v_.evalEverySteps == 0 || last) && checkHeldOut(stage, errorSum / static_cast<double>(step + 1), size)) break;
    }
    bar.finish();
    stopping_.restoreBest(student_);
    const nlohmann::json b = bitReport(tensors_);
    std::cerr << stage.label << ": average " << b["average_bits"].get<double>() << " bits (weights " << b["average_weight_bits"].get<double>()
              << ", activations " << b["average_activation_bits"].get<double>() << ")\n";
  }

  // The integer bit depths stage 3 trains with. Every B is rounded up first (methods.md 2.5); with
  // "objective", each tensor whose B had a fraction then drops to floor(B), largest tensors first, where
  // that lowers L = L_err + gamma * Bbar on the held-out views: gamma prices a bit as the size term did,
  // and rounding up is kept where the clipping it avoids is worth its bit. Then, with a budget
  // (max_average_bits), bits are taken away where they cost least until Bbar fits it, and the room left
  // under it is given where a bit lowers the held-out error most. All are judged before stage 3's
  // training recovers, so a bit is given up only when it costs little even without recovery; with
  // train_export_format, in the format the export stores (E and alpha rounded), as stage 3 then trains.
  // Returns what it decided, for the summary.
  nlohmann::json roundBits(const std::vector<Tensor>& judged) {
    std::vector<std::pair<const VbdTensor*, float>> fractional;  // tensor and its floor
    for (const VbdTensor& t : tensors_) {
      const float b = bitsOf(t);
      if (std::floor(b) < b && std::floor(b) >= kVbdMinBits) fractional.emplace_back(&t, std::floor(b));
      t.quantizer->ceilAndFreezeBits();
      if (v_.trainExportFormat) t.quantizer->useExportFormat();
    }
    const HeldOut held = heldOut(teacher_, judged);
    auto objective = [&] { return heldOutL1(student_, held) + v_.gamma * currentAverageBits(); };
    const double up = objective();
    double best = up;
    int64_t lowered = 0;
    if (v_.bitRounding == "objective") {
      std::stable_sort(fractional.begin(), fractional.end(), [](const auto& a, const auto& b) { return a.first->count > b.first->count; });
      for (const auto& [t, floorBits] : fractional) {
        float& b = bitsOf(*t);
        const float ceiled = b;
        b = floorBits;
        const double candidate = objective();
        if (candidate < best) {
          best = candidate;
          ++lowered;
        } else {
          b = ceiled;
        }
      }
      std::cerr << "bit rounding: " << lowered << " of " << fractional.size() << " fractional bit depths rounded down by the held-out objective\n";
    }
    nlohmann::json decided = {{"mode", v_.bitRounding}, {"fractional", fractional.size()}, {"rounded_down", lowered}, {"objective_up", up}, {"objective_chosen", best}};
    if (v_.maxAverageBits) decided["budget"] = fitBudget(held, *v_.maxAverageBits);
    return decided;
  }

 private:
  static float& bitsOf(const VbdTensor& t) { return t.quantizer->bits.tensor().data<float>()[0]; }
  double currentAverageBits() const { return averageBits(tensors_, v_.weightsOnly).tensor().itemAsDouble(); }
  bool counted(const VbdTensor& t) const { return t.isWeight || !v_.weightsOnly; }  // in Bbar

  // One bit more or fewer in one tensor, taken from or given to its range or its resolution, with the
  // held-out error it leaves and its share of Bbar.
  struct BitChange {
    const VbdTensor* tensor;
    VbdQuantizer::BitFrom from;
    double error, share;
  };

  // Fits Bbar to the budget, one bit at a time, each choice measured with the bits changed so far: while
  // Bbar is above it, takes the bit that costs the least held-out error per bit of Bbar it saves, unless
  // a tensor whose one bit alone reaches the budget costs no more error than that (so that a large tensor
  // does not overshoot the budget where a small one closes the gap for less); then, while a bit fits
  // under the budget and lowers the error, gives the one that lowers it most. Every bit is tried both
  // ways, from the range and from the resolution.
  nlohmann::json fitBudget(const HeldOut& held, double budget) {
    const double before = currentAverageBits();
    nlohmann::json taken = nlohmann::json::array(), given = nlohmann::json::array();
    const double errorBefore = heldOutL1(student_, held);
    double error = errorBefore;  // with the bits changed so far
    auto apply = [&](const BitChange& c, int delta, nlohmann::json& log) {
      c.tensor->quantizer->changeBits(delta, c.from);
      error = c.error;
      log.push_back(c.tensor->name + (c.from == VbdQuantizer::BitFrom::kRange ? " (range)" : " (resolution)"));
    };
    for (double average = before; average > budget + 1e-9; average = currentAverageBits())
      apply(cheapestTake(bitChanges(-1, held, /*maxShare=*/1.0), average, budget, error), -1, taken);  // every tensor's share is <= 1
    for (;;) {
      const std::vector<BitChange> gifts = bitChanges(1, held, budget - currentAverageBits());
      const auto best = std::min_element(gifts.begin(), gifts.end(), [](const auto& a, const auto& b) { return a.error < b.error; });
      if (best == gifts.end() || best->error >= error) break;
      apply(*best, 1, given);
    }
    const double after = currentAverageBits();
    std::cerr << "bit budget " << budget << ": " << taken.size() << " bits taken, " << given.size() << " given, average " << before << " -> " << after
              << " bits\n";
    return {{"max_average_bits", budget}, {"bits_taken", taken.size()}, {"taken_from", taken}, {"bits_given", given.size()},
            {"given_to", given},          {"average_before", before},   {"average_after", after},
            {"heldout_error_before", errorBefore}, {"heldout_error_after", error}};
  }

  // Every change of `delta` bits that a counted tensor can make, each way, whose share of Bbar is at most
  // maxShare (plus rounding), with the held-out error it leaves (measured, then undone).
  std::vector<BitChange> bitChanges(int delta, const HeldOut& held, double maxShare) {
    double total = 0;
    for (const VbdTensor& t : tensors_) total += counted(t) ? static_cast<double>(t.count) : 0;
    std::vector<BitChange> changes;
    for (const VbdTensor& t : tensors_) {
      const float bits = bitsOf(t) + static_cast<float>(delta);
      const double share = static_cast<double>(t.count) / total;
      if (!counted(t) || bits < kVbdMinBits || bits > kVbdMaxBits || share > maxShare + 1e-9) continue;
      for (const VbdQuantizer::BitFrom from : {VbdQuantizer::BitFrom::kRange, VbdQuantizer::BitFrom::kResolution})
        changes.push_back({&t, from, errorWithBitsChanged(t, delta, from, held), share});
    }
    return changes;
  }

  // The take fitBudget chooses among `takes` at average Bbar, the held-out error being `error` before it.
  static BitChange cheapestTake(const std::vector<BitChange>& takes, double average, double budget, double error) {
    const BitChange *perBit = nullptr, *closing = nullptr;
    for (const BitChange& c : takes) {
      if (!perBit || (c.error - error) / c.share < (perBit->error - error) / perBit->share) perBit = &c;
      if (average - c.share <= budget + 1e-9 && (!closing || c.error < closing->error)) closing = &c;
    }
    FGQ_CHECK(perBit, "vbd.max_average_bits " << budget << " cannot be met: every tensor is at " << kVbdMinBits << " bit");
    return closing && closing->error <= perBit->error ? *closing : *perBit;
  }

  // The held-out error with `delta` bits more in t, on the side `from`; then t is as it was, restored
  // from a copy: E is learned as a real number, and E - 1 + 1 is not always E in floats.
  double errorWithBitsChanged(const VbdTensor& t, int delta, VbdQuantizer::BitFrom from, const HeldOut& held) {
    VbdQuantizer& q = *t.quantizer;
    const float bits = bitsOf(t);
    const Tensor exponent = q.exponent.tensor().clone(), offset = q.offset.tensor().clone();
    q.changeBits(delta, from);
    const double error = heldOutL1(student_, held);
    bitsOf(t) = bits;
    q.exponent.tensor().copyFrom(exponent);
    q.offset.tensor().copyFrom(offset);
    return error;
  }

  std::vector<std::unique_ptr<Optimizer>> optimizersFor(const Stage& stage) {
    for (Variable& w : weights_) w.setRequiresGrad(stage.trainWeights);
    std::vector<std::unique_ptr<Optimizer>> optimizers;
    // B at the fastest rate (0.05 by default): in a few hundred steps it sets how far the bit depths come
    // down; at the spec's "slowest" they stay above 6 bits (docs/calibration.md, "VBD from K images").
    if (stage.trainBits) optimizers.push_back(std::make_unique<Adam>(bitDepths_, AdamOptions{v_.lrBits}));
    optimizers.push_back(std::make_unique<Adam>(exponents_, AdamOptions{v_.lrExponent}));
    optimizers.push_back(std::make_unique<Adam>(offsets_, AdamOptions{v_.lrOffset}));
    if (stage.trainWeights) optimizers.push_back(std::make_unique<Adam>(weights_, AdamOptions{v_.lrWeights}));
    // Built per stage: the averager keeps the parameters this stage trains, at their present sizes.
    if (ranks_.distributed()) averager_ = std::make_unique<GradientAverager>(trainables_, ranks_);
    return optimizers;
  }

  Tensor nextBatch() {
    auto batch = loader_.next();
    if (!batch) {
      loader_.startEpoch(++epoch_);
      batch = loader_.next();
    }
    return batch->images;
  }

  // Returns the step's L1 to the teacher and the average bits.
  std::pair<double, double> trainStep() {
    const Tensor images = nextBatch();
    for (auto& o : optimizers_) o->zeroGrad();
    const Variable error = distillationForward(student_, teacher_, images).l1;
    const Variable size = averageBits(tensors_, v_.weightsOnly);
    add(error, scale(size, v_.gamma)).backward();
    if (averager_) averager_->finish();
    for (auto& o : optimizers_) o->step();
    return {error.tensor().itemAsDouble(), size.tensor().itemAsDouble()};
  }

  // Logs the held-out error; true when early stopping ends the stage.
  bool checkHeldOut(const Stage& stage, double trainError, double size) {
    const double held = heldOutL1(student_, holdout_);
    if (ranks_.isMain())
      metrics_ << nlohmann::json{{"stage", stage.label}, {"step", globalStep_ + 1}, {"train_error", trainError}, {"holdout_error", held},
                               {"average_bits", size}}.dump()
             << "\n" << std::flush;
    return stage.earlyStop && !holdout_.empty() && stopping_.stop(held, student_);
  }

  const VbdConfig& v_;
  Module& student_;
  Module& teacher_;
  const std::vector<VbdTensor>& tensors_;
  DataLoader& loader_;
  const HeldOut holdout_;
  const Communicator& ranks_;
  std::ofstream metrics_;  // rank 0's
  std::vector<Variable> bitDepths_, exponents_, offsets_, weights_;
  std::vector<std::pair<std::string, Variable>> trainables_;  // all of the above, named
  std::vector<std::unique_ptr<Optimizer>> optimizers_;
  std::unique_ptr<GradientAverager> averager_;
  int64_t globalStep_ = 0, epoch_ = 0;
  EarlyStopping stopping_{0};
};

// The export, saved (by rank 0), loaded into a fresh model and compared with the training graph (same
// rounded E and alpha) on `images`; returns the deployed model and the largest output difference.
std::pair<std::unique_ptr<Module>, double> exportAndVerify(const Experiment& e, Module& student, const Tensor& images) {
  const std::string path = e.outputDir + "/vbd.safetensors";
  const std::map<std::string, Tensor> exported = exportVbd(student);
  if (Communicator::world().isMain())
    saveSafetensors(path, exported, {{kVbdExportKey, nlohmann::json{{"config", e.resolved}, {"teacher", teacherRecord(e.model.weights, path)}}.dump()}});
  auto deployed = foldedTeacherCopy(e);
  loadVbdExport(*deployed, exported, path);
  deployed->eval();
  student.eval();
  NoGradGuard noGrad;
  const Tensor a = student(Variable(images)).tensor(), b = (*deployed)(Variable(images)).tensor();
  return {std::move(deployed), compare(b, a).maxAbsDiff};
}

}  // namespace

nlohmann::json runVbd(const Experiment& e) {
  const VbdConfig& v = *e.vbd;
  const auto start = Clock::now();
  auto teacher = trainedModel(e.model, e.model.weights);
  teacher->eval();
  auto student = foldedTeacherCopy(e);
  auto evalSet = makeDataset(e, false, e.data.evalTransforms);
  Random random(0);
  const Shape imageShape = evalSet->get(0, random).image.shape();

  VbdData data = vbdData(e, *teacher);
  const Communicator& ranks = Communicator::world();
  const LoaderOptions options{v.batchSize, true, true, v.seed, 2, -1};
  const Tensor calibration = firstBatch(*data.views, options);  // sets the initial exponents, on every rank alike
  DataLoader loader(*data.views, evenRankSlice(ranks, options, e.name + ": the batch of " + std::to_string(v.batchSize) + " (vbd.batch_size)"));
  loader.startEpoch(0, 1);
  installVbd(*student, {calibration}, v.start);
  const std::vector<VbdTensor> tensors = vbdTensors(*student, imageShape);
  std::cerr << e.name << ": VBD on " << data.views->describe() << ", " << tensors.size() << " quantized tensors, gamma " << v.gamma << "\n";

  VbdStages stages(v, *student, *teacher, tensors, loader, data.holdout, e.outputDir + "/metrics.jsonl");
  stages.run({"per-tensor", v.tensorSteps, true, false, false});
  for (auto& [name, layer] : weightedLayers(*student))
    dynamic_cast<VbdQuantizer*>(layer->weightQuantizer())->splitPerChannel(layer->weight.shape()[0]);
  stages.run({"per-channel", v.channelSteps, true, false, false});
  const nlohmann::json rounding = stages.roundBits(data.holdout.empty() ? std::vector<Tensor>{calibration} : data.holdout);
  stages.run({"bits frozen", v.finalSteps, false, true, true});

  const auto [deployed, exportDifference] = exportAndVerify(e, *student, calibration);
  const nlohmann::json bits = bitReport(tensors);
  if (ranks.isMain()) writeBitsTable(e.outputDir + "/bits.md", e.name, bits);
  DataLoader evalLoader(*evalSet, rankSlice(ranks, {e.train.evalBatchSize, false, false, 0, 2, e.data.limitEval}));
  const nlohmann::json measures = measureModel(*deployed, teacher.get(), evalLoader, imageShape);
  nlohmann::json summary = {{"name", e.name}, {"kind", "vbd"}, {"gamma", v.gamma}, {"images", data.images->distinctRead()}, {"bits", bits},
                            {"bit_rounding", rounding}, {"export_max_abs_difference", exportDifference}, {"wall_seconds", seconds(start)}};
  for (const char* key : {"teacher_top1", "drop", "agreement", "logit_l1"}) summary[key] = measures[key];
  summary["final_top1"] = measures["top1"];
  summary["final_top5"] = measures["top5"];
  if (ranks.distributed()) summary["processes"] = ranks.size();
  if (!ranks.isMain()) return summary;
  writeFileAtomically(e.outputDir + "/summary.json", summary.dump(2) + "\n");
  std::cerr << "VBD: top-1 " << measures["top1"].get<double>() << "% (FP32 " << measures["teacher_top1"].get<double>() << "%) at "
            << bits["average_bits"].get<double>() << " bits on average; exported model within " << exportDifference
            << " of the training graph; " << formatDuration(seconds(start)) << "\n";
  return summary;
}

}  // namespace fgq

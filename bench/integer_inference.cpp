// The integer engine's speed on ResNet-50 at 224x224 (torchvision's structure, random-init weights,
// batch norms re-estimated on random images: speed does not depend on the values), 8-bit activations:
// images/s of the exact and the folded engine for each group size N beside fgq FP32 (the model before
// conversion: eval, no tape), each the median of --repeats runs after two warm-up runs; per-layer GOP/s
// of both engines at the largest batch (--layers); and the machine's int8 ceiling: oneDNN's int8 conv on the
// shape of ../shared/machine-notes.md (N=32, C=K=64, 56x56, 3x3), through the engine's own int8 step, beside
// the vpdpbusd peak of a loop that does nothing else (bench/VnniPeak.h), where the CPU has AVX-512 VNNI.
// Prints lines `fgq resnet50 ENGINE BATCH images_per_second` (bench/integer_inference.sh reads them).
// With --onnx DIR it also writes the FP32 model and each folded one as ONNX (resnet50_fp32.onnx,
// resnet50_folded-N4.onnx, ...) for onnxruntime's timing (bench/integer_inference_onnx.mjs).
// With --passes P,... each engine runs its batch P images per pass through every step (ENGINE gets a
// suffix -pP), with --pass-mb M,... as many per step as fit in M MiB (suffix -mbM); without either, as
// the engine's defaults choose (EngineOptions::imagesPerPass and passBytes).
//   bench/integer_inference [--repeats R] [--batches 1,16] [--groups 4,16,64] [--passes P,...] [--pass-mb M,...]
//                           [--layers] [--onnx DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/VnniPeak.h"
#include "core/Random.h"
#include "infer/IntegerModel.h"
#include "infer/OnednnInt8Step.h"
#include "infer/TernaryConv.h"
#include "interop/OnnxExport.h"
#include "layers/models/Models.h"
#include "train/Compression.h"

using namespace fgq;

namespace {

struct Options {
  int repeats = 5;
  std::vector<int64_t> batches{1, 16};
  std::vector<std::string> groups{"4", "16", "64"};
  // The engine's pass settings to compare, each with its label's suffix.
  std::vector<std::pair<std::string, infer::EngineOptions>> passes;
  bool layers = false;
  std::string onnxDir;  // empty: no export
};

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--repeats" && hasValue) o.repeats = std::stoi(argv[++i]);
    else if (arg == "--batches" && hasValue) {
      o.batches.clear();
      for (const std::string& b : splitList(argv[++i])) o.batches.push_back(std::stoll(b));
    } else if (arg == "--groups" && hasValue) o.groups = splitList(argv[++i]);
    else if (arg == "--passes" && hasValue) {
      for (const std::string& p : splitList(argv[++i])) {
        infer::EngineOptions e;
        e.imagesPerPass = std::stoll(p);
        o.passes.emplace_back("-p" + p, e);
      }
    } else if (arg == "--pass-mb" && hasValue) {
      for (const std::string& m : splitList(argv[++i])) {
        infer::EngineOptions e;
        e.passBytes = std::stoll(m) << 20;
        o.passes.emplace_back("-mb" + m, e);
      }
    } else if (arg == "--layers") o.layers = true;
    else if (arg == "--onnx" && hasValue) o.onnxDir = argv[++i];
    else throw Error("bench/integer_inference: unexpected argument '" + arg + "' (--repeats R, --batches 1,16, --groups 4,16,64, --passes P,..., --pass-mb M,..., --layers, --onnx DIR)");
  }
  if (o.passes.empty()) o.passes.emplace_back("", infer::EngineOptions{});
  return o;
}

Tensor randomImages(int64_t n, uint64_t seed) {
  Random random(seed);
  Tensor t = Tensor::empty({n, 3, 224, 224});
  random.fillNormal(t, 0, 1);
  return t;
}

// Median seconds of `repeats` runs after two warm-up runs.
double medianSeconds(int repeats, const std::function<void()>& run) {
  std::vector<double> times;
  for (int i = 0; i < repeats + 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    if (i >= 2) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

void report(const std::string& engine, int64_t batch, double seconds) {
  std::printf("fgq resnet50 %s %ld %.2f\n", engine.c_str(), static_cast<long>(batch), static_cast<double>(batch) / seconds);
  std::fflush(stdout);
}

std::unique_ptr<Module> resnet50() { return createModel("resnet50", {3, 1000, 224, 0}); }

void exportIfAsked(const Options& o, const Module& model, const std::string& engine, TernaryExport form) {
  if (!o.onnxDir.empty()) writeOnnx(exportOnnx(model, Shape{3, 224, 224}, form), o.onnxDir + "/resnet50_" + engine + ".onnx");
}

// Each step's median time at `batch`, as GOP/s where the step computes (2 operations per MAC).
void printLayers(infer::IntegerModel& engine, const Tensor& images, int repeats) {
  std::vector<std::vector<double>> runs;
  for (int i = 0; i < repeats + 2; ++i) {
    std::vector<double> seconds;
    engine.forward(images, &seconds);
    if (i >= 2) runs.push_back(seconds);
  }
  const std::vector<std::string> names = engine.describe();
  const std::vector<int64_t> macs = engine.macsPerImage(), passes = engine.imagesPerPass(images.shape()[0]);
  for (size_t s = 0; s < names.size(); ++s) {
    std::vector<double> t;
    for (const auto& r : runs) t.push_back(r[s]);
    std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
    const double median = t[t.size() / 2];
    const double gops = 2.0 * static_cast<double>(macs[s]) * static_cast<double>(images.shape()[0]) / median / 1e9;
    std::printf("layer %8.3f ms %8.1f GOP/s %3ld per pass  %s\n", 1000.0 * median, gops, static_cast<long>(passes[s]), names[s].c_str());
  }
}

// oneDNN's int8 conv (u8 x s8 -> u8) on the machine-notes shape, through the engine's int8 step.
void printInt8Ceiling(int repeats) {
  infer::LayerSpec s;
  s.name = "ceiling";
  s.geometry = {32, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1};
  QuantizedWeights w;
  w.format = &weightFormat(WeightFormatId::kInt8);
  w.shape = {64, 64, 3, 3};
  w.bits = 8;
  Random random(1);
  for (int64_t i = 0; i < w.shape.numel(); ++i) w.codes.push_back(static_cast<int16_t>(random.nextU64() % 255) - 127);
  w.scales.assign(64, 0.01f);
  s.weights = &w;
  s.bnScale.assign(64, 1.0f);
  s.shift.assign(64, 0.0f);
  s.relu = true;
  infer::BufferPlan plan;
  s.inputCodes = plan.add(56 * 56 * 64);
  s.codes = plan.add(56 * 56 * 64);
  infer::OnednnInt8Step step(s);
  infer::Workspace ws(plan, 32);
  const double seconds = medianSeconds(repeats, [&] { step.run(ws); });
  std::printf("int8 ceiling: oneDNN int8 conv 3x3, N=32 C=K=64 56x56: %.1f GOP/s\n", 2.0 * static_cast<double>(step.macsPerImage()) * 32 / seconds / 1e9);
  if (infer::cpuHasVnni()) std::printf("vpdpbusd peak: a loop of vpdpbusd alone on every thread: %.1f GOP/s\n", bench::vnniPeakOpsPerSecond(1.0) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    std::map<int64_t, Tensor> images;
    for (int64_t b : o.batches) images[b] = randomImages(b, 7);
    {
      auto fp32 = resnet50();
      fp32->eval();
      NoGradGuard noGrad;
      for (int64_t b : o.batches) report("fp32", b, medianSeconds(o.repeats, [&] { (*fp32)(Variable(images[b])); }));
      exportIfAsked(o, *fp32, "fp32", TernaryExport::kExact);
    }
    for (const std::string& n : o.groups) {
      auto model = resnet50();
      QuantizationConfig q;
      q.fgq.groups = GroupSpec::parse(n);
      convertFgq(*model, q, {randomImages(8, 1), randomImages(8, 2)});
      model->eval();
      exportIfAsked(o, *model, "folded-N" + n, TernaryExport::kFolded);
      for (const auto& [label, engine] : {std::pair{"exact", infer::TernaryEngine::kExact}, std::pair{"folded", infer::TernaryEngine::kFolded}}) {
        for (auto [suffix, options] : o.passes) {
          options.ternary = engine;
          infer::IntegerModel integer(*model, {3, 224, 224}, options);
          const std::string name = std::string(label) + "-N" + n + suffix;
          for (int64_t b : o.batches) report(name, b, medianSeconds(o.repeats, [&] { integer.forward(images[b]); }));
          if (o.layers) printLayers(integer, images[o.batches.back()], o.repeats);
        }
      }
    }
    printInt8Ceiling(o.repeats);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench/integer_inference: %s\n", e.what());
    return 1;
  }
}

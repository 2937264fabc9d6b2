// Throughput of fgq beside PyTorch's on the same shapes, in the same run: images per second for
//   train      forward, cross-entropy, backward, SGD step (momentum, weight decay)
//   inference  forward in eval mode without the tape (evaluation, calibration, BN re-estimation)
//   finetune   FGQ N=64 with 8-bit activations distilled from its FP32 teacher: teacher forward, student
//              forward with ternary weights re-solved from the shadow weights, L1 to the teacher's
//              logits, backward through the straight-through estimators, Adam step
// Median over N steps after two warm-up steps; fgq's page faults per timed step.
//   bench/throughput [--steps N] [--only MODE | MODEL/MODE] [--no-torch]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "core/Random.h"
#include "layers/models/Models.h"
#include "layers/ops/Ops.h"
#include "quant/Fgq.h"
#include "train/Adam.h"
#include "train/Sgd.h"

using namespace fgq;

namespace {

struct Case {
  std::string model, mode;
  int64_t batch, channels, size, classes;
  std::string shape() const {
    return std::to_string(batch) + "x" + std::to_string(channels) + "x" + std::to_string(size) + "x" + std::to_string(size);
  }
};

long minorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

struct Timing {
  double imagesPerSecond;
  double faultsPerStep;  // fresh memory costs ~14 us a page here
};

Timing timeSteps(int64_t batch, int steps, const std::function<void()>& step) {
  std::vector<double> times;
  long faultsBefore = 0;
  for (int i = 0; i < steps + 2; ++i) {
    if (i == 2) faultsBefore = minorFaults();
    const auto start = std::chrono::steady_clock::now();
    step();
    if (i >= 2) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return {static_cast<double>(batch) / times[times.size() / 2], static_cast<double>(minorFaults() - faultsBefore) / steps};
}

Timing fgqThroughput(const Case& c, int steps) {
  const ModelOptions options{c.channels, c.classes, c.size, 0};
  auto model = createModel(c.model, options);
  Random random(1);
  Tensor x = Tensor::empty({c.batch, c.channels, c.size, c.size});
  random.fillNormal(x, 0, 1);
  if (c.mode == "inference") {
    model->eval();
    return timeSteps(c.batch, steps, [&] {
      NoGradGuard noGrad;
      (*model)(Variable(x)).tensor();
    });
  }
  if (c.mode == "train") {
    Tensor y = Tensor::empty({c.batch}, DType::kS64);
    for (int64_t i = 0; i < c.batch; ++i) y.data<int64_t>()[i] = random.below(c.classes);
    model->train();
    Sgd sgd(model->parameters(), SgdOptions{0.01, 0.9, 0.0, 5e-4, false});
    return timeSteps(c.batch, steps, [&] {
      sgd.zeroGrad();
      crossEntropy((*model)(Variable(x)), y).backward();
      sgd.step();
    });
  }
  FGQ_CHECK(c.mode == "finetune", "unknown mode " << c.mode);
  auto teacher = createModel(c.model, options);  // the same seed: the student starts as its teacher
  teacher->eval();
  installFgq(*model, FgqOptions{GroupSpec::parse("64"), TernarySolver::kExact, {"@first", "@last"}, 8});
  calibrateActivations(*model, {x}, CalibrationOptions{});
  model->train();
  Adam adam(model->parameters(), AdamOptions{1e-4});
  return timeSteps(c.batch, steps, [&] {
    adam.zeroGrad();
    Tensor target;
    {
      NoGradGuard noGrad;
      target = (*teacher)(Variable(x)).tensor().plain();
    }
    l1Loss((*model)(Variable(x)), target).backward();
    adam.step();
  });
}

// PyTorch's number from bench/throughput_torch.py, or a negative value when torch is not installed.
double torchImagesPerSecond(const Case& c, int steps, const std::string& benchDir) {
  if (std::system("/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null") != 0) return -1;
  const std::string command =
      "GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=1073741824:"
      "glibc.malloc.mmap_threshold=4294967295 /usr/bin/python3 " +
      benchDir + "/throughput_torch.py " + c.model + " " + c.mode + " --batch " + std::to_string(c.batch) + " --channels " +
      std::to_string(c.channels) + " --size " + std::to_string(c.size) + " --classes " + std::to_string(c.classes) +
      " --steps " + std::to_string(steps);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  char line[256] = {0};
  if (!pipe || !fgets(line, sizeof line, pipe.get())) return -1;
  double ips = -1;
  char name[64], mode[64];
  return std::sscanf(line, "torch %63s %63s %lf", name, mode, &ips) == 3 ? ips : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 10;
  bool withTorch = true;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else if (!std::strcmp(argv[i], "--no-torch")) {
      withTorch = false;
    } else {
      std::cerr << "usage: throughput [--steps N] [--only MODE | MODEL/MODE] [--no-torch]\n";
      return 2;
    }
  }
  if (steps < 1) {
    std::cerr << "throughput: --steps must be positive\n";
    return 2;
  }
  // The shapes of the configs: the Fashion-MNIST runs, and ImageNet's evaluation (batch 50) and
  // fine-tuning (batch 32) beside the classic training benchmark shape (batch 16).
  const Case cases[] = {{"resnet20", "train", 128, 1, 28, 10},       {"resnet20", "finetune", 128, 1, 28, 10},
                        {"resnet50", "train", 16, 3, 224, 1000},     {"resnet50", "inference", 50, 3, 224, 1000},
                        {"resnet101", "inference", 50, 3, 224, 1000}, {"alexnet", "inference", 50, 3, 224, 1000},
                        {"resnet50", "finetune", 32, 3, 224, 1000}};
  std::printf("%-10s %-10s %-14s %10s %12s %12s %8s\n", "model", "mode", "shape", "fgq faults", "fgq img/s", "torch img/s", "ratio");
  for (const Case& c : cases) {
    if (!only.empty() && c.mode != only && c.model + "/" + c.mode != only) continue;
    try {
      const Timing ours = fgqThroughput(c, steps);
      const double theirs = withTorch ? torchImagesPerSecond(c, steps, FGQ_BENCH_DIR) : -1;
      std::printf("%-10s %-10s %-14s %10.0f %12.1f ", c.model.c_str(), c.mode.c_str(), c.shape().c_str(), ours.faultsPerStep,
                  ours.imagesPerSecond);
      if (theirs > 0)
        std::printf("%12.1f %7.2fx\n", theirs, ours.imagesPerSecond / theirs);
      else
        std::printf("%12s %8s\n", "n/a", "n/a");
      std::fflush(stdout);
    } catch (const Error& e) {
      std::cerr << "throughput: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

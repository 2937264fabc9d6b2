// Training-step throughput of fgq beside PyTorch's on the same shapes, in the same run.
//   bench/train_step [--steps N] [--no-torch]
// Measures resnet20 (batch 128, 1x28x28, 10 classes) and resnet50 (batch 16, 3x224x224, 1000 classes):
// forward, cross-entropy, backward, SGD step; median over N steps after two warm-up steps, and fgq's
// page faults per timed step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/Random.h"
#include "layers/models/Models.h"
#include "layers/ops/Ops.h"
#include "train/Sgd.h"

using namespace fgq;

namespace {

struct Shape4 {
  std::string model;
  int64_t batch, channels, size, classes;
};

long minorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

struct FgqResult {
  double imagesPerSecond;
  double faultsPerStep;  // page faults in the timed steps: fresh memory costs ~14 us a page here
};

FgqResult fgqImagesPerSecond(const Shape4& s, int steps) {
  auto model = createModel(s.model, {s.channels, s.classes, s.size, 0});
  model->train();
  Sgd sgd(model->parameters(), SgdOptions{0.01, 0.9, 0.0, 5e-4, false});
  Random random(1);
  Tensor x = Tensor::empty({s.batch, s.channels, s.size, s.size});
  random.fillNormal(x, 0, 1);
  Tensor y = Tensor::empty({s.batch}, DType::kS64);
  for (int64_t i = 0; i < s.batch; ++i) y.data<int64_t>()[i] = random.below(s.classes);
  std::vector<double> times;
  long faultsBefore = 0;
  for (int step = 0; step < steps + 2; ++step) {
    if (step == 2) faultsBefore = minorFaults();
    const auto start = std::chrono::steady_clock::now();
    sgd.zeroGrad();
    crossEntropy((*model)(Variable(x)), y).backward();
    sgd.step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (step >= 2) times.push_back(seconds);
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  const double faults = static_cast<double>(minorFaults() - faultsBefore) / steps;
  return {static_cast<double>(s.batch) / times[times.size() / 2], faults};
}

// PyTorch's number from bench/train_step_torch.py, or a negative value when torch is not installed.
double torchImagesPerSecond(const Shape4& s, int steps, const std::string& benchDir) {
  if (std::system("/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null") != 0) return -1;
  const std::string command =
      "GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.top_pad=1073741824:"
      "glibc.malloc.mmap_threshold=4294967295 /usr/bin/python3 " +
      benchDir + "/train_step_torch.py " + s.model + " --batch " + std::to_string(s.batch) + " --channels " +
      std::to_string(s.channels) + " --size " + std::to_string(s.size) + " --classes " + std::to_string(s.classes) +
      " --steps " + std::to_string(steps);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  char line[256] = {0};
  if (!pipe || !fgets(line, sizeof line, pipe.get())) return -1;
  double ips = -1;
  char name[64];
  return std::sscanf(line, "torch %63s %lf", name, &ips) == 2 ? ips : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 10;
  bool withTorch = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps") && i + 1 < argc)
      steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--no-torch"))
      withTorch = false;
    else {
      std::cerr << "usage: train_step [--steps N] [--no-torch]\n";
      return 2;
    }
  }
  const std::string benchDir = FGQ_BENCH_DIR;
  const Shape4 shapes[] = {{"resnet20", 128, 1, 28, 10}, {"resnet50", 16, 3, 224, 1000}};
  std::printf("%-10s %-14s %10s %12s %12s %8s\n", "model", "shape", "fgq faults", "fgq img/s", "torch img/s", "ratio");
  for (const Shape4& s : shapes) {
    try {
      const FgqResult ours = fgqImagesPerSecond(s, steps);
      const double theirs = withTorch ? torchImagesPerSecond(s, steps, benchDir) : -1;
      const std::string shape = std::to_string(s.batch) + "x" + std::to_string(s.channels) + "x" + std::to_string(s.size) +
                                "x" + std::to_string(s.size);
      std::printf("%-10s %-14s %10.0f %12.1f ", s.model.c_str(), shape.c_str(), ours.faultsPerStep, ours.imagesPerSecond);
      if (theirs > 0)
        std::printf("%12.1f %7.2fx\n", theirs, ours.imagesPerSecond / theirs);
      else
        std::printf("%12s %8s\n", "n/a", "n/a");
      std::fflush(stdout);
    } catch (const Error& e) {
      std::cerr << "train_step: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}

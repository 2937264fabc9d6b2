#pragma once
// A converted FGQ model run in integers (methods.md 1.4-1.5), computing what the fake-quantized model
// computes: every conv and inner product reads its input as the codes of its input quantizer, ternary
// layers run exactly (int32 group sums scaled by their alphas: infer/TernaryConv.h) or folded to int8,
// 8-bit layers on oneDNN's int8 primitives; batch norm is folded into the conv before it, ReLU and the
// residual addition (in f32) into the conv's epilogue, and the codes of the next layer's input are
// written there too. Max pooling runs on codes; average pooling and flatten on f32 values.
//
// The model is lowered once from its dataflow graph (layers/Graph.h) for one image shape; buffers are
// allocated once per batch size.
#include <map>
#include <memory>

#include "infer/Step.h"
#include "layers/Modules.h"

namespace fgq::infer {

enum class TernaryEngine { kExact, kFolded };

struct EngineOptions {
  TernaryEngine ternary = TernaryEngine::kExact;
  bool scalarKernel = false;  // the exact kernel's scalar twin instead of AVX-512 VNNI (tests)
  // A batch runs through each stretch of consecutive steps a few images at a time, so that the
  // activations one step writes are still in cache when the next reads them (docs/integer-inference.md,
  // "Images per pass"): `imagesPerPass` images through every step, or with 0, per step the whole batch
  // or else the largest power of two of images whose buffers fit in `passBytes`, and no more than
  // any later step takes.
  int64_t imagesPerPass = 0;
  int64_t passBytes = int64_t{8} << 20;
};

// "integer" or "integer-folded" (fgq-eval's --engine); throws naming anything else.
TernaryEngine parseTernaryEngine(const std::string& name);

class IntegerModel {
 public:
  // `model` has FGQ's quantizers installed with their codes (a loaded quantized model file); its
  // parameters are read here and not after. `imageShape` is [C, H, W]. Throws naming the first layer
  // that cannot run in integers, and why.
  IntegerModel(Module& model, const Shape& imageShape, const EngineOptions& options);
  IntegerModel(IntegerModel&&) noexcept;
  ~IntegerModel();

  // images [N, C, H, W] f32 -> logits [N, K]; with `stepSeconds`, each step's time (benchmarks).
  Tensor forward(const Tensor& images, std::vector<double>* stepSeconds = nullptr);
  // One line per step, in order, and each step's multiply-accumulates per image.
  std::vector<std::string> describe() const;
  std::vector<int64_t> macsPerImage() const;
  // Per step, how many images of a batch of `batch` it runs at a time (EngineOptions::imagesPerPass).
  std::vector<int64_t> imagesPerPass(int64_t batch) const;

 private:
  // Steps [begin, end) over the whole workspace, `pass` images at a time.
  void runSteps(size_t begin, size_t end, int64_t pass, Workspace& workspace, std::vector<double>* stepSeconds);

  Shape imageShape_;
  int64_t imagesPerPass_ = 0, passBytes_ = 0;
  BufferPlan plan_;
  std::vector<std::unique_ptr<Step>> steps_;
  int input_ = -1, output_ = -1;
  int64_t outputsPerImage_ = 0;
  std::map<int64_t, Workspace> workspaces_;  // per batch size

  friend class Lowering;
};

}  // namespace fgq::infer

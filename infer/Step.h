#pragma once
// One step of a lowered model: reads and writes workspace buffers (infer/Workspace.h).
#include <string>
#include <vector>

#include "infer/CodeFormat.h"
#include "infer/TernaryConv.h"
#include "infer/Workspace.h"

namespace fgq::infer {

class Step {
 public:
  virtual ~Step() = default;
  virtual void run(Workspace& workspace) = 0;
  // One line: the layer and how it runs ("layer1.0.conv1: ternary N=4 exact (VNNI) 3x3 16->16").
  virtual std::string describe() const = 0;
  // Multiply-accumulates per image (convs and inner products; 0 for the steps between them).
  virtual int64_t macsPerImage() const { return 0; }
  // The workspace buffers it reads or writes: what a pass of some images keeps in cache
  // (IntegerModel's images per pass).
  virtual std::vector<int> buffers() const = 0;
};

// A conv or inner product as the engine runs it, batch norm folded: per output channel
// y = (sum of weights x input codes) * inputScale * weightScale * bnScale + shift, then the outputs.
struct LayerSpec {
  std::string name;
  bool linear = false;
  ConvGeometry geometry;  // an inner product is a 1x1 conv on a 1x1 image (batch set per run)
  const QuantizedWeights* weights = nullptr;
  CodeFormat input;
  int inputCodes = -1;              // buffer: [N, H, W, C] codes
  std::vector<float> bnScale, shift;  // [K]
  int residual = -1;                // buffer: [N, OH, OW, K] f32 added before the ReLU, or -1
  bool relu = false;
  int values = -1;                  // buffer: f32 outputs (may be the residual's: added in place), or -1
  int codes = -1;                   // buffer: outputs as codes of codeFormat, or -1
  CodeFormat codeFormat;
};

// What a layer reads and writes, for its description: "3x3 64->64, u8 input" for a conv, "2048->1000,
// s8 input" for an inner product, and where a residual is added, whether in place (its buffer becomes the
// output's), into an output of its own, or only on the way to the output's codes.
std::string layerDataflow(const LayerSpec& spec);
// Its input codes, residual, values and codes, those it has.
std::vector<int> layerBuffers(const LayerSpec& spec);
int64_t layerMacsPerImage(const LayerSpec& spec);

}  // namespace fgq::infer

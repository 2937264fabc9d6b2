// The ONNX export's graph (interop/OnnxExport.h; tests/onnx/check_exports.sh runs the files in
// onnxruntime) and the import of torch's exports (interop/OnnxModel.h).
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "core/AtomicFile.h"
#include "core/Error.h"
#include "core/Random.h"
#include "core/Safetensors.h"
#include "interop/OnnxExport.h"
#include "interop/OnnxModel.h"
#include "layers/models/Models.h"
#include "train/Compression.h"

using namespace fgq;

namespace {

std::unique_ptr<Module> converted(TernarySolver solver) {
  auto model = createModel("resnet20", {1, 10, 28, 5});
  Random random(4);
  Tensor images = Tensor::empty({16, 1, 28, 28});
  random.fillNormal(images, 0, 1);
  QuantizationConfig q;
  q.fgq.groups = GroupSpec::parse("4");
  q.fgq.solver = solver;
  convertFgq(*model, q, {images});
  model->eval();
  return model;
}

std::map<std::string, int> opCounts(const onnx::ModelProto& m) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : m.graph().node()) ++counts[n.op_type()];
  return counts;
}

int64_t attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const onnx::AttributeProto& a : n.attribute())
    if (a.name() == name) return a.i();
  return -1;
}

}  // namespace

TEST_CASE("the ONNX export carries every layer's quantizers, batch norm as a node or folded, and refuses two-scale groups by layer") {
  const auto model = converted(TernarySolver::kExact);
  const onnx::ModelProto exact = exportOnnx(*model, {1, 28, 28}, TernaryExport::kExact);
  CHECK(exact.opset_import(0).version() == 21);
  std::map<std::string, int> ops = opCounts(exact);
  CHECK(ops["Conv"] == 21);  // ResNet-20: 19 convs and 2 downsample convs
  CHECK(ops["QuantizeLinear"] == 22);  // every conv's input and the classifier's
  CHECK(ops["BatchNormalization"] == 21);
  int blocked = 0, perChannel = 0;
  for (const onnx::NodeProto& n : exact.graph().node()) {
    if (n.op_type() != "DequantizeLinear" || n.name().find(".weight") == std::string::npos) continue;
    if (attribute(n, "block_size") == 4 && attribute(n, "axis") == 1) ++blocked;
    else if (attribute(n, "axis") == 0) ++perChannel;
  }
  CHECK(blocked == 20);     // the ternary convs
  CHECK(perChannel == 2);   // the first conv and the classifier, at 8 bits
  CHECK(exact.graph().output(0).name() == "logits");

  const onnx::ModelProto folded = exportOnnx(*model, {1, 28, 28}, TernaryExport::kFolded);
  ops = opCounts(folded);
  CHECK(ops["BatchNormalization"] == 0);
  CHECK(ops["Conv"] == 21);

  const auto twoScale = converted(TernarySolver::kTwoScale);
  CHECK_THROWS_WITH_AS(exportOnnx(*twoScale, {1, 28, 28}, TernaryExport::kExact), doctest::Contains("layer1.0.conv1: solver two_scale"), Error);
}

TEST_CASE("an ONNX CNN exported by torch imports into fgq's layers, with torch's names, and computes torch's logits") {
  const std::string dir = FGQ_GOLDEN_DIR;
  const auto model = loadOnnxModel(dir + "/onnx_small.onnx");
  model->eval();
  const TensorFile golden = loadSafetensors(dir + "/onnx_small.safetensors");
  const Tensor logits = (*model)(Variable(golden.tensors.at("images"))).tensor();
  const std::vector<float> got = logits.toVector(), expected = golden.tensors.at("logits").toVector();
  REQUIRE(got.size() == expected.size());
  float largest = 0, worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    largest = std::max(largest, std::abs(expected[i]));
    worst = std::max(worst, std::abs(got[i] - expected[i]));
  }
  CHECK(worst <= 1e-4f * largest);
  const auto state = model->stateDict();
  CHECK(state.count("layer1.0.downsample.0.weight") == 1);
  CHECK(state.count("layer1.0.bn2.running_var") == 1);
  CHECK(state.count("fc.bias") == 1);
  Module::LayerInputShapes shapes;
  CHECK(model->inferShape(Shape{2, 3, 32, 32}, shapes) == Shape{2, 5});
  CHECK(shapes.size() == 5);  // four convs and the linear layer
  CHECK(traceGraph(*model).nodes().size() > 10);
}

TEST_CASE("a malformed ONNX file or an unsupported operator is refused on one line naming the file and the node") {
  const std::string dir = FGQ_EXPORT_DIR;
  const std::string garbage = dir + "/garbage.onnx";
  writeFileAtomically(garbage, "not a protobuf \xff\xff\xff");
  CHECK_THROWS_WITH_AS(loadOnnxModel(garbage), doctest::Contains("garbage.onnx: not an ONNX model"), Error);
  onnx::ModelProto m;
  onnx::GraphProto& g = *m.mutable_graph();
  g.add_input()->set_name("images");
  onnx::NodeProto& n = *g.add_node();
  n.set_op_type("LSTM");
  n.set_name("rnn");
  n.add_input("images");
  n.add_output("y");
  g.add_output()->set_name("y");
  CHECK_THROWS_WITH_AS(OnnxModel(m, "m.onnx"), doctest::Contains("m.onnx: node 'rnn' (LSTM): operator not supported"), Error);
  // fuzz_onnx's finding: a node without inputs was read at input 0 (protobuf's bounds check aborted).
  n.set_op_type("Relu");
  n.clear_input();
  CHECK_THROWS_WITH_AS(OnnxModel(m, "m.onnx"), doctest::Contains("m.onnx: node 'rnn' (Relu): input 0 is missing"), Error);
}

// The integer inference engine: the exact ternary kernel against its scalar twin and against the
// convolution it stands for.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "autograd/Variable.h"
#include "core/Random.h"
#include "infer/Int8Weights.h"
#include "infer/IntegerModel.h"
#include "infer/TernaryConv.h"
#include "layers/models/Models.h"
#include "train/Compression.h"
#include "train/ModelFile.h"

using namespace fgq;
using namespace fgq::infer;

namespace {

QuantizedWeights randomTernary(const Shape& shape, const GroupSpec& groups, Random& random) {
  QuantizedWeights w;
  w.format = &weightFormat(WeightFormatId::kTernary);
  w.shape = shape;
  w.bits = 2;
  w.groups = groups;
  for (int64_t i = 0; i < shape.numel(); ++i) w.codes.push_back(static_cast<int16_t>(random.nextU64() % 3) - 1);
  for (int64_t g = 0; g < WeightGroups(shape, groups).count(); ++g) w.scales.push_back(static_cast<float>(random.uniform(0.01, 1.0)));
  return w;
}

std::vector<float> randomFloats(int64_t n, Random& random, double lo, double hi) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(random.uniform(lo, hi));
  return v;
}

// Codes in the padded NHWC buffer the kernels read: padding and padded channels hold code 0.
std::vector<uint8_t> randomPaddedInput(const ConvGeometry& g, bool isSigned, Random& random) {
  std::vector<uint8_t> input(static_cast<size_t>(g.batch * g.paddedH() * g.paddedW() * g.paddedC()), 0);
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t y = 0; y < g.inH; ++y)
      for (int64_t x = 0; x < g.inW; ++x)
        for (int64_t c = 0; c < g.inC; ++c) {
          const int64_t code = isSigned ? static_cast<int64_t>(random.nextU64() % 256) - 128 : static_cast<int64_t>(random.nextU64() % 256);
          input[static_cast<size_t>(((n * g.paddedH() + y + g.padH) * g.paddedW() + x + g.padW) * g.paddedC() + c)] = static_cast<uint8_t>(code);
        }
  return input;
}

// The convolution the kernel stands for, in double: dequantized weights times the input codes; and the
// sum of the terms' magnitudes, which bounds float rounding.
std::pair<double, double> referenceSum(const QuantizedWeights& w, const ConvGeometry& g, const std::vector<float>& weights, const std::vector<uint8_t>& input,
                    bool isSigned, int64_t n, int64_t y, int64_t x, int64_t k) {
  double sum = 0, magnitude = 0;
  for (int64_t c = 0; c < g.inC; ++c)
    for (int64_t r = 0; r < g.kH; ++r)
      for (int64_t s = 0; s < g.kW; ++s) {
        const uint8_t byte = input[static_cast<size_t>(((n * g.paddedH() + y * g.strideH + r) * g.paddedW() + x * g.strideW + s) * g.paddedC() + c)];
        const double code = isSigned ? static_cast<int8_t>(byte) : byte;
        const double term = code * weights[static_cast<size_t>(((k * g.inC + c) * g.kH + r) * g.kW + s)];
        sum += term;
        magnitude += std::abs(term);
      }
  return {sum, magnitude};
}

struct KernelCase {
  ConvGeometry g;
  GroupSpec groups;
  bool isSigned;
};

std::vector<KernelCase> kernelCases() {
  std::vector<KernelCase> cases;
  const char* groupSizes[] = {"4", "16", "64", "filter", "6"};
  int i = 0;
  for (const char* n : groupSizes)
    for (int64_t kernel : {1, 3})
      for (int64_t stride : {1, 2})
        for (int64_t batch : {1, 5}) {
          ConvGeometry g;
          g.batch = batch;
          g.inC = (i % 3 == 0) ? 70 : (i % 3 == 1 ? 13 : 64);  // C a multiple of N or not, and below N
          g.outC = std::array<int64_t, 4>{37, 32, 80, 112}[static_cast<size_t>(i % 4)];  // 3, 2, 5 and 7 blocks of 16
          g.inH = 7;
          g.inW = 9 + i % 4;
          g.kH = g.kW = kernel;
          g.strideH = g.strideW = stride;
          g.padH = g.padW = kernel == 3 ? 1 : 0;
          cases.push_back({g, GroupSpec::parse(n), i % 5 == 2});
          ++i;
        }
  return cases;
}

}  // namespace

TEST_CASE("the exact ternary kernel equals its scalar twin bit for bit, and both compute the grouped convolution") {
  REQUIRE_MESSAGE(cpuHasVnni(), "this CPU lacks AVX-512 VNNI");
  Random random(11);
  for (const KernelCase& c : kernelCases()) {
    const ConvGeometry& g = c.g;
    INFO("C " << g.inC << " K " << g.outC << " " << g.kH << "x" << g.kW << " stride " << g.strideH << " batch " << g.batch << " N "
              << c.groups.str() << (c.isSigned ? " s8" : " u8"));
    const QuantizedWeights w = randomTernary({g.outC, g.inC, g.kH, g.kW}, c.groups, random);
    const PackedTernary packed(w, g, "layer");
    const std::vector<uint8_t> input = randomPaddedInput(g, c.isSigned, random);
    const int64_t outputs = g.batch * g.outH() * g.outW() * g.outC;
    const std::vector<float> scale = randomFloats(g.outC, random, 0.001, 0.01), shift = randomFloats(g.outC, random, -1, 1);
    const std::vector<float> residual = randomFloats(outputs, random, -2, 2);
    std::vector<float> valuesScalar(static_cast<size_t>(outputs)), valuesVnni(valuesScalar.size());
    std::vector<uint8_t> codesScalar(static_cast<size_t>(outputs)), codesVnni(codesScalar.size());
    Epilogue e{scale.data(), shift.data(), residual.data(), true, valuesScalar.data(), codesScalar.data(), 50.0f, 0, 255};
    ternaryConvScalar(packed, g, input.data(), c.isSigned, e);
    e.values = valuesVnni.data();
    e.codes = codesVnni.data();
    ternaryConvVnni(packed, g, input.data(), c.isSigned, e);
    CHECK(std::memcmp(valuesScalar.data(), valuesVnni.data(), valuesScalar.size() * sizeof(float)) == 0);
    CHECK(codesScalar == codesVnni);
    // In place over the residual, as the engine runs a residual block's last conv.
    std::vector<float> inPlace(residual);
    e.residual = e.values = inPlace.data();
    ternaryConvVnni(packed, g, input.data(), c.isSigned, e);
    CHECK(std::memcmp(valuesScalar.data(), inPlace.data(), valuesScalar.size() * sizeof(float)) == 0);
    // Codes alone, no residual, as the engine runs a conv that only the next conv reads (the kernel walks
    // its pixels in longer runs then).
    std::vector<uint8_t> codesAloneScalar(codesScalar.size()), codesAloneVnni(codesScalar.size());
    Epilogue alone{scale.data(), shift.data(), nullptr, true, nullptr, codesAloneScalar.data(), 50.0f, 0, 255};
    ternaryConvScalar(packed, g, input.data(), c.isSigned, alone);
    alone.codes = codesAloneVnni.data();
    ternaryConvVnni(packed, g, input.data(), c.isSigned, alone);
    CHECK(codesAloneScalar == codesAloneVnni);

    // Without epilogue (scale 1, shift 0), the twin's value is the grouped sum: against the double reference.
    const std::vector<float> ones(static_cast<size_t>(g.outC), 1.0f), zeros(static_cast<size_t>(g.outC), 0.0f);
    const Epilogue plain{ones.data(), zeros.data(), nullptr, false, valuesScalar.data(), nullptr};
    ternaryConvScalar(packed, g, input.data(), c.isSigned, plain);
    const Tensor dequantized = w.dequantize();
    const std::vector<float> weights(dequantized.data<float>(), dequantized.data<float>() + dequantized.numel());
    double worst = 0;
    for (int64_t n = 0; n < g.batch; ++n)
      for (int64_t y = 0; y < g.outH(); ++y)
        for (int64_t x = 0; x < g.outW(); ++x)
          for (int64_t k = 0; k < g.outC; ++k) {
            const auto [expected, magnitude] = referenceSum(w, g, weights, input, c.isSigned, n, y, x, k);
            const double got = valuesScalar[static_cast<size_t>(((n * g.outH() + y) * g.outW() + x) * g.outC + k)];
            worst = std::max(worst, std::abs(got - expected) / (1.0 + magnitude));
          }
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("the AMX ternary kernel equals the scalar twin bit for bit where the layer fits it") {
  if (!cpuHasAmx()) {
    MESSAGE("this CPU (or kernel) offers no AMX-INT8: the VNNI kernel runs every layer");
    return;
  }
  Random random(12);
  int fitted = 0;
  for (const char* n : {"16", "32", "64", "filter", "4"})
    for (int64_t kernel : {1, 3})
      for (int64_t stride : {1, 2}) {
        ConvGeometry g;
        g.batch = 3;
        g.inC = 128;
        g.outC = stride == 1 ? 48 : 40;
        g.inH = 9;
        g.inW = kernel == 3 ? 11 : 20;
        g.kH = g.kW = kernel;
        g.strideH = g.strideW = stride;
        g.padH = g.padW = kernel == 3 ? 1 : 0;
        INFO("N " << n << " " << kernel << "x" << kernel << " stride " << stride);
        const QuantizedWeights w = randomTernary({g.outC, g.inC, g.kH, g.kW}, GroupSpec::parse(n), random);
        const PackedTernary packed(w, g, "layer");
        CHECK(amxFits(packed) == (std::string(n) != "4"));
        if (!amxFits(packed)) continue;
        ++fitted;
        const std::vector<uint8_t> input = randomPaddedInput(g, false, random);
        const int64_t outputs = g.batch * g.outH() * g.outW() * g.outC;
        const std::vector<float> scale = randomFloats(g.outC, random, 0.001, 0.01), shift = randomFloats(g.outC, random, -1, 1);
        const std::vector<float> residual = randomFloats(outputs, random, -2, 2);
        std::vector<float> valuesScalar(static_cast<size_t>(outputs)), valuesAmx(valuesScalar.size(), -7.0f);
        std::vector<uint8_t> codesScalar(static_cast<size_t>(outputs)), codesAmx(codesScalar.size());
        Epilogue e{scale.data(), shift.data(), residual.data(), true, valuesScalar.data(), codesScalar.data(), 50.0f, 0, 255};
        ternaryConvScalar(packed, g, input.data(), false, e);
        e.values = valuesAmx.data();
        e.codes = codesAmx.data();
        std::vector<uint8_t> slack(input);
        slack.resize(input.size() + static_cast<size_t>(kInputSlack), 0);
        ternaryConvAmx(packed, g, slack.data(), false, e);
        CHECK(std::memcmp(valuesScalar.data(), valuesAmx.data(), valuesScalar.size() * sizeof(float)) == 0);
        CHECK(codesScalar == codesAmx);
        std::vector<float> inPlace(residual);
        e.residual = e.values = inPlace.data();
        ternaryConvAmx(packed, g, slack.data(), false, e);
        CHECK(std::memcmp(valuesScalar.data(), inPlace.data(), valuesScalar.size() * sizeof(float)) == 0);
      }
  CHECK(fitted == 16);
}

TEST_CASE("the ternary kernel refuses two-scale weights and scales that do not fit the groups, naming the layer") {
  Random random(3);
  ConvGeometry g;
  g.inC = 8;
  g.outC = 4;
  g.kH = g.kW = 3;
  QuantizedWeights w = randomTernary({4, 8, 3, 3}, GroupSpec::parse("4"), random);
  w.negativeScales = w.scales;
  CHECK_THROWS_WITH_AS(PackedTernary(w, g, "layer1.0.conv1"), doctest::Contains("layer1.0.conv1: solver two_scale"), Error);
  w.negativeScales.clear();
  w.scales.pop_back();
  CHECK_THROWS_WITH_AS(PackedTernary(w, g, "layer1.0.conv1"), doctest::Contains("layer1.0.conv1.weight.scales: 71 scales for 72 groups"), Error);
  w.scales.push_back(1.0f);
  w.codes[5] = 2;
  CHECK_THROWS_WITH_AS(PackedTernary(w, g, "layer1.0.conv1"), doctest::Contains("code 2 is not ternary"), Error);
}

TEST_CASE("ternary filters with one alpha each fold to int8 exactly: their codes stay ternary, their scales are the alphas") {
  Random random(5);
  // One group per filter: N = filter, and a 1x1 conv over no more than N channels.
  for (const auto& [shape, groups] : std::vector<std::pair<Shape, std::string>>{{{6, 8, 3, 3}, "filter"}, {{6, 64}, "64"}, {{6, 40, 1, 1}, "64"}}) {
    INFO(shape.str() << ", N " << groups);
    const QuantizedWeights w = randomTernary(shape, GroupSpec::parse(groups), random);
    CHECK(oneGroupPerFilter(w));
    const Int8Weights folded = int8Weights(w, "layer");
    CHECK(folded.exact);
    CHECK(folded.scales == w.scales);
    CHECK(std::equal(w.codes.begin(), w.codes.end(), folded.codes.begin()));
  }
  // One group for the layer: one alpha for every filter.
  const QuantizedWeights layer = randomTernary({6, 8, 3, 3}, GroupSpec::parse("layer"), random);
  CHECK(oneGroupPerFilter(layer));
  const Int8Weights foldedLayer = int8Weights(layer, "layer");
  CHECK(foldedLayer.exact);
  CHECK(foldedLayer.scales == std::vector<float>(6, layer.scales[0]));
  // Several alphas per filter: folded into codes up to 127, so not exact.
  const QuantizedWeights w = randomTernary({6, 8, 3, 3}, GroupSpec::parse("4"), random);
  CHECK_FALSE(oneGroupPerFilter(w));
  const Int8Weights folded = int8Weights(w, "layer");
  CHECK_FALSE(folded.exact);
  CHECK(std::count(folded.codes.begin(), folded.codes.end(), int8_t{127}) + std::count(folded.codes.begin(), folded.codes.end(), int8_t{-127}) > 0);
}

namespace {

Tensor randomImages(int64_t n, const Shape& image, uint64_t seed) {
  Random random(seed);
  Tensor t = Tensor::empty(Shape{n, image[0], image[1], image[2]});
  random.fillNormal(t, 0, 1);
  return t;
}

std::unique_ptr<Module> convertedResnet20(const std::string& groups, int64_t activationBits, int64_t channels = 1) {
  auto model = createModel("resnet20", {channels, 10, 28, 5});
  Random random(8);  // batch norms with an affine part of their own, as trained ones have
  for (auto& [name, module] : model->namedModules())
    if (auto* bn = dynamic_cast<BatchNorm2d*>(module)) {
      random.fillUniform(bn->weight.tensor(), 0.5, 1.5);
      random.fillUniform(bn->bias.tensor(), -0.5, 0.5);
    }
  QuantizationConfig q;
  q.fgq.groups = GroupSpec::parse(groups);
  q.fgq.activationBits = activationBits;
  convertFgq(*model, q, {randomImages(32, {channels, 28, 28}, 1), randomImages(32, {channels, 28, 28}, 2)});
  model->eval();
  return model;
}

struct Agreement {
  double maxDifference = 0, meanDifference = 0;  // relative to the largest logit
  int64_t sameTop1 = 0;
};

Agreement compare(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const int64_t n = a.shape()[0], k = a.shape()[1];
  Agreement out;
  double largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* x = a.data<float>() + i * k;
    const float* y = b.data<float>() + i * k;
    for (int64_t j = 0; j < k; ++j) {
      out.maxDifference = std::max(out.maxDifference, static_cast<double>(std::abs(x[j] - y[j])));
      out.meanDifference += std::abs(x[j] - y[j]) / static_cast<double>(n * k);
      largest = std::max(largest, static_cast<double>(std::abs(y[j])));
    }
    out.sameTop1 += std::max_element(x, x + k) - x == std::max_element(y, y + k) - y;
  }
  out.maxDifference /= largest;
  out.meanDifference /= largest;
  return out;
}

}  // namespace

TEST_CASE("a converted ResNet-20 in the integer engine computes the fake-quantized model's logits") {
  REQUIRE(cpuHasVnni());
  struct Case {
    std::string groups;
    int64_t bits, channels;  // 3 input channels: the NCHW images interleaved into NHWC codes
  };
  for (const auto& [groups, bits, channels] : std::vector<Case>{{"4", 8, 1}, {"64", 8, 1}, {"filter", 4, 1}, {"4", 8, 3}}) {
    INFO("N " << groups << ", " << bits << "-bit activations, " << channels << " input channels");
    auto model = convertedResnet20(groups, bits, channels);
    const Shape image{channels, 28, 28};
    const Tensor images = randomImages(24, image, 9);
    Tensor expected;
    {
      NoGradGuard noGrad;
      expected = (*model)(Variable(images)).tensor().plain();
    }
    IntegerModel exact(*model, image, {});
    IntegerModel twin(*model, image, {TernaryEngine::kExact, true});
    IntegerModel folded(*model, image, {TernaryEngine::kFolded, false});
    const Tensor a = exact.forward(images), b = twin.forward(images), c = folded.forward(images);
    CHECK(std::memcmp(a.data<float>(), b.data<float>(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0);
    const Agreement e = compare(a, expected), f = compare(c, expected);
    MESSAGE("N " << groups << ": exact max |logit difference| " << e.maxDifference << " mean " << e.meanDifference << " (top-1 same on " << e.sameTop1
                 << "/24), folded " << f.maxDifference << " (" << f.sameTop1 << "/24)");
    // Float rounding differs from the FP32 path's, so a code here and there lands one step over: small,
    // sparse differences, not a shifted output.
    CHECK(e.meanDifference < 2e-3);
    CHECK(e.maxDifference < 0.05);
    CHECK(e.sameTop1 >= 23);
    CHECK(f.sameTop1 >= 20);
  }
}

TEST_CASE("a batch run a few images per pass gives the logits of the whole batch at once") {
  auto model = convertedResnet20("4", 8);
  const int64_t batch = 7;
  const Tensor images = randomImages(batch, {1, 28, 28}, 11);
  auto options = [](TernaryEngine engine, int64_t imagesPerPass, int64_t passBytes) {
    EngineOptions o{engine, false, imagesPerPass};
    o.passBytes = passBytes;
    return o;
  };
  for (const TernaryEngine engine : {TernaryEngine::kExact, TernaryEngine::kFolded}) {
    const Tensor whole = IntegerModel(*model, {1, 28, 28}, options(engine, batch, int64_t{1} << 40)).forward(images);
    // Fixed passes, and passes chosen per step from a budget small enough that the first steps take one
    // image at a time and the last the whole batch.
    for (const auto& [imagesPerPass, passBytes] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1}, {9, 1}, {0, 64 << 10}, {0, 1}}) {
      INFO(std::string(engine == TernaryEngine::kExact ? "exact" : "folded") << ", images per pass " << imagesPerPass << ", bytes " << passBytes);
      IntegerModel passes(*model, {1, 28, 28}, options(engine, imagesPerPass, passBytes));
      std::vector<double> stepSeconds;
      const Tensor logits = passes.forward(images, &stepSeconds);
      REQUIRE(logits.shape() == whole.shape());
      CHECK(std::memcmp(logits.data<float>(), whole.data<float>(), static_cast<size_t>(whole.numel()) * sizeof(float)) == 0);
      CHECK(stepSeconds.size() == passes.describe().size());
    }
  }
  const std::vector<int64_t> chosen = IntegerModel(*model, {1, 28, 28}, options(TernaryEngine::kExact, 0, 64 << 10)).imagesPerPass(batch);
  CHECK(chosen.front() == 1);
  CHECK(chosen.back() == batch);
  CHECK(std::is_sorted(chosen.begin(), chosen.end()));  // no step takes more images than a later one
  CHECK_THROWS_WITH(IntegerModel(*model, {1, 28, 28}, options(TernaryEngine::kExact, -1, 1)),
                    doctest::Contains("images per pass must be 0 (chosen per step) or more, found -1"));
}

TEST_CASE("the exact engine runs a ternary layer on oneDNN only where each filter has one alpha") {
  // At N = 64 on ResNet-20 (16 to 64 channels) only the 1x1 shortcut convs have one group per filter;
  // every 3x3 conv has one per kernel position.
  auto model = convertedResnet20("64", 8);
  int64_t onOnednn = 0, onKernel = 0;
  for (const std::string& line : IntegerModel(*model, {1, 28, 28}, {TernaryEngine::kExact, false, 0}).describe()) {
    if (line.find("ternary") == std::string::npos) continue;
    const bool oneAlpha = line.find("exact, one alpha per filter (oneDNN conv)") != std::string::npos;
    CHECK_MESSAGE(oneAlpha == (line.find("1x1") != std::string::npos), line);
    CHECK_MESSAGE((oneAlpha || line.find(" exact (") != std::string::npos), line);  // our kernel: VNNI, or AMX where it fits
    ++(oneAlpha ? onOnednn : onKernel);
  }
  CHECK(onOnednn == 2);  // the shortcuts into stages 2 and 3
  CHECK(onKernel == 18);
}

TEST_CASE("every residual block of ResNet-20 adds its residual in place, in both engines") {
  // Each block's f32 output takes over the buffer of the residual it adds, so a stage's blocks chain
  // through one buffer: a block whose residual was itself added in place must not fall back to a copy
  // (oneDNN) or a second stream (the exact kernel). A block whose output only its codes leave writes none.
  auto model = convertedResnet20("4", 8);
  for (const TernaryEngine engine : {TernaryEngine::kExact, TernaryEngine::kFolded}) {
    int64_t added = 0;
    for (const std::string& line : IntegerModel(*model, {1, 28, 28}, {engine, false, 0}).describe()) {
      if (line.find("residual added") == std::string::npos) continue;
      ++added;
      CHECK_MESSAGE(line.find("into an output of its own") == std::string::npos, line);
    }
    CHECK(added == 9);  // 3 stages x 3 blocks
  }
}

TEST_CASE("images per pass chosen per step: the whole batch where it fits the budget, else a power of two") {
  auto model = convertedResnet20("4", 8);
  const IntegerModel unlimited(*model, {1, 28, 28}, {TernaryEngine::kExact, false, 0});
  for (int64_t batch : {1, 5, 32})
    for (int64_t pass : unlimited.imagesPerPass(batch)) CHECK(pass == batch);  // 32 images of ResNet-20 at 28 x 28 fit in the default 8 MiB
  EngineOptions tight{TernaryEngine::kExact, false, 0};
  tight.passBytes = 200 << 10;
  const std::vector<int64_t> chosen = IntegerModel(*model, {1, 28, 28}, tight).imagesPerPass(64);
  CHECK(chosen.front() < 32);  // 32 images of 28 x 28 x 16 f32 values alone are 1.6 MB
  CHECK(chosen.back() == 64);   // the classifier's buffers are a few floats per image
  for (int64_t pass : chosen) CHECK(((pass & (pass - 1)) == 0 || pass == 64));
}

TEST_CASE("the Fashion-MNIST ResNet-20 in the integer engine keeps the fake-quantized model's Top-1 within 0.1 point") {
  // Converted by fgq from its own teacher (tests/models/README.md); evaluated on the 10,000 test images.
  for (const char* file : {"fmnist_resnet20_n4_a8.safetensors", "fmnist_resnet20_n64_a8.safetensors"}) {
    const std::string path = std::string(FGQ_MODELS_DIR) + "/" + file;
    // Without the teacher: the files record one under runs/, which a workspace may hold retrained.
    const nlohmann::json fake = evaluateModelFile(path, {"", {}, "", "fp32", true});
    const nlohmann::json exact = evaluateModelFile(path, {"", {}, "", "integer", true});
    const nlohmann::json folded = evaluateModelFile(path, {"", {}, "", "integer-folded", true});
    MESSAGE(std::string(file) << ": Top-1 fake-quantized " << fake["top1"] << " (" << fake["images_per_second"] << " img/s), integer " << exact["top1"]
                 << " (" << exact["images_per_second"] << " img/s), integer-folded " << folded["top1"] << " (" << folded["images_per_second"] << " img/s)");
    CHECK(exact["examples"] == 10000);
    CHECK(std::abs(exact["top1"].get<double>() - fake["top1"].get<double>()) <= 0.1);
    CHECK(std::abs(folded["top1"].get<double>() - fake["top1"].get<double>()) <= 1.0);
  }
}

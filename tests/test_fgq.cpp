// FGQ conversion: activation quantizers, the integer equivalence, accounting, batch-norm re-estimation,
// and the stored model.
#include <doctest/doctest.h>

#include <cmath>

#include "TempDir.h"
#include "autograd/Functions.h"
#include "core/Random.h"
#include "core/TensorOps.h"
#include "layers/models/Models.h"
#include "quant/Accounting.h"
#include "quant/FakeQuantize.h"
#include "quant/Fgq.h"
#include "quant/QuantizedModelFile.h"
#include "quant/WeightEncoders.h"
#include "train/BatchNormReestimation.h"
#include "train/Compression.h"
#include "train/DataFreeCalibration.h"

using namespace fgq;

namespace {

Tensor randomTensor(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  Random random(seed);
  Tensor t = Tensor::empty(shape);
  random.fillUniform(t, lo, hi);
  return t;
}

std::vector<Tensor> randomBatches(int count, const Shape& shape, uint64_t seed) {
  std::vector<Tensor> batches;
  for (int i = 0; i < count; ++i) batches.push_back(randomTensor(shape, seed + i));
  return batches;
}

}  // namespace

TEST_CASE("fake quantization's gradient is its straight-through surrogate's: identity inside, zero where clipped") {
  const float scale = 0.1f;
  Tensor x = Tensor::fromVector({6}, {-0.93f, -0.31f, 0.04f, 0.26f, 0.6f, 1.44f});
  Variable v(x, true);
  Variable y = fakeQuantize(v, scale, -8, 7);
  CHECK(y.tensor().toVector() == std::vector<float>{-0.8f, -0.3f, 0.0f, 0.3f, 0.6f, 0.7f});
  sum(y).backward();
  // The surrogate clamp(x, -0.8, 0.7) has derivative 1 inside and 0 outside; check it by differences.
  const std::vector<float> g = v.grad().toVector();
  for (int i = 0; i < 6; ++i) {
    const double eps = 1e-3, xi = x.toVector()[i];
    auto surrogate = [&](double z) { return std::clamp(z, -0.85, 0.75); };  // the clip reaches to the last code's half step
    const double numeric = (surrogate(xi + eps) - surrogate(xi - eps)) / (2 * eps);
    INFO("element " << i);
    CHECK(g[i] == doctest::Approx(numeric));
  }
}

TEST_CASE("activation calibration: max, percentile, mse, unsigned detection and pow2") {
  Random random(1);
  Linear layer(4, 2, random);
  auto quantizer = std::make_shared<ActivationQuantizer>(8);
  layer.setInputQuantizer(quantizer);
  const auto batches = randomBatches(3, {64, 4}, 10);  // uniform in [-1, 1): signed
  std::vector<Tensor> positive;
  for (const Tensor& b : batches) positive.push_back(add(b, Tensor::full(b.shape(), 1.0)));  // [0, 2): unsigned
  calibrateActivations(layer, batches, {CalibrationMethod::kMax, 99.99, false});
  CHECK(quantizer->isSigned());
  CHECK(quantizer->scale() == doctest::Approx(1.0 / 127).epsilon(0.01));
  calibrateActivations(layer, positive, {CalibrationMethod::kMax, 99.99, false});
  CHECK_FALSE(quantizer->isSigned());
  CHECK(quantizer->scale() == doctest::Approx(2.0 / 255).epsilon(0.01));
  calibrateActivations(layer, positive, {CalibrationMethod::kPercentile, 50, false});
  CHECK(quantizer->scale() == doctest::Approx(1.0 / 255).epsilon(0.05));
  calibrateActivations(layer, positive, {CalibrationMethod::kMse, 99.99, false});
  CHECK(quantizer->scale() <= 2.0 / 255 + 1e-6);
  calibrateActivations(layer, positive, {CalibrationMethod::kMax, 99.99, true});
  CHECK(std::log2(quantizer->scale()) == doctest::Approx(std::round(std::log2(quantizer->scale()))));
}

TEST_CASE("the fake-quantized conv equals the integer computation: int8 codes x ternary codes in int32, then scaled") {
  Random random(4);
  Conv2d conv(Conv2dOptions{8, 3, 3, Conv2dParams{{1, 1}, {1, 1}, {1, 1}, 1}, false}, random);
  conv.setWeightQuantizer(std::make_shared<WeightQuantizer>(WeightFormatChoice{true, GroupSpec::parse("4"), TernarySolver::kExact}));
  auto act = std::make_shared<ActivationQuantizer>(8);
  conv.setInputQuantizer(act);
  const Tensor x = randomTensor({2, 8, 5, 5}, 9, 0, 3);
  calibrateActivations(conv, {x}, {CalibrationMethod::kMax, 99.99, false});
  conv.eval();
  NoGradGuard noGrad;
  const Tensor y = conv(Variable(x)).tensor().plain();

  const QuantizedWeights& w = dynamic_cast<WeightQuantizer*>(conv.weightQuantizer())->quantized(conv.weight.tensor());
  const Tensor a = quantizeCodes(x, act->scale(), act->lowestCode(), act->highestCode());
  const WeightGroups groups(w.shape, w.groups);
  double worst = 0;
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 3; ++k)
      for (int64_t oh = 0; oh < 5; ++oh)
        for (int64_t ow = 0; ow < 5; ++ow) {
          double out = 0;
          for (int64_t pos = 0; pos < 9; ++pos)
            for (int64_t chunk = 0; chunk < 2; ++chunk) {
              int32_t acc = 0;  // one group's dot product, in integers
              for (int64_t c = chunk * 4; c < chunk * 4 + 4; ++c) {
                const int64_t ih = oh + pos / 3 - 1, iw = ow + pos % 3 - 1;
                if (ih < 0 || ih >= 5 || iw < 0 || iw >= 5) continue;
                acc += static_cast<int32_t>(a.data<float>()[((n * 8 + c) * 5 + ih) * 5 + iw]) * w.codes[(k * 8 + c) * 9 + pos];
              }
              out += static_cast<double>(acc) * w.scales[(k * 9 + pos) * 2 + chunk];
            }
          out *= act->scale();
          worst = std::max(worst, std::abs(out - y.data<float>()[((n * 3 + k) * 5 + oh) * 5 + ow]));
        }
  CHECK(groups.count() == 3 * 9 * 2);
  CHECK(worst < 1e-4 * (1 + maxAbs(y)));
}

TEST_CASE("accounting: multiplications eliminated follow 1 - 1/N per ternary layer; kept layers eliminate none") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  FgqOptions options;
  options.groups = GroupSpec::parse("4");
  installFgq(*model, options);
  const ModelAccount a = account(*model, {1, 28, 28});
  int64_t macs = 0;
  for (const LayerAccount& l : a.layers) {
    macs += l.macs;
    if (l.name == "conv1" || l.name == "fc") {
      CHECK(l.format == "int8 per channel");
      CHECK(l.remainingMultiplications == l.macs);
    } else {
      CHECK(l.format == "ternary N=4 exact");
      CHECK(static_cast<double>(l.remainingMultiplications) / l.macs == doctest::Approx(0.25));
    }
  }
  CHECK(a.layers.front().macs == 16 * 28 * 28 * 9);
  CHECK(a.macs == macs);
  CHECK(a.eliminatedShare > 0.74);
  CHECK(a.eliminatedShare < 0.75);
  CHECK(a.bitsPerWeight < 16);
  CHECK(a.modelBytes < a.fp32Bytes / 3);  // 2-bit codes plus an f32 scale per 4 weights: 10 bits a weight
}

TEST_CASE("keep_layers patterns: names, globs, @first/@last, and a pattern that matches nothing") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  CHECK(matchLayers(*model, {"@first", "@last"}) == std::vector<std::string>{"conv1", "fc"});
  CHECK(matchLayers(*model, {"layer3.*.conv1"}).size() == 3);
  CHECK_THROWS_WITH_AS(matchLayers(*model, {"layer4.*"}), doctest::Contains("keep_layers pattern 'layer4.*' matches no conv"), Error);
}

TEST_CASE("ternary fine-tuning's straight-through path: re-solved from the shadow weight each pass, identity gradient") {
  WeightQuantizer quantizer(WeightFormatChoice{true, GroupSpec::parse("4"), TernarySolver::kExact});
  Variable shadow(randomTensor({8, 8, 3, 3}, 40), true);
  auto solved = [](const Tensor& w) { return ternarize(w, GroupSpec::parse("4"), TernarySolver::kExact).dequantize(); };
  {
    NoGradGuard noGrad;  // an evaluation first caches a solution that training must not reuse
    CHECK(compare(quantizer(shadow).tensor(), solved(shadow.tensor())).maxAbsDiff == 0);
  }
  Variable first = quantizer(shadow);
  CHECK(compare(first.tensor(), solved(shadow.tensor())).maxAbsDiff == 0);
  const Tensor upstream = randomTensor(shadow.shape(), 41);
  first.backward(upstream);
  CHECK(compare(shadow.grad(), upstream).maxAbsDiff == 0);  // straight through, unscaled
  addInPlace(shadow.tensor(), randomTensor(shadow.shape(), 42), 0.5);  // as an optimizer step would
  const Variable second = quantizer(shadow);
  CHECK(compare(second.tensor(), solved(shadow.tensor())).maxAbsDiff == 0);
  CHECK(compare(second.tensor(), first.tensor()).maxAbsDiff > 0);
  NoGradGuard noGrad;  // evaluation after training reads the moved shadow weight, not a stale solution
  CHECK(compare(quantizer(shadow).tensor(), second.tensor()).maxAbsDiff == 0);
}

namespace {

// Per channel of x [N, C, H, W]: the mean and the unbiased variance (what a running variance takes).
std::pair<std::vector<double>, std::vector<double>> channelStatistics(const Tensor& xIn) {
  const Tensor x = xIn.plain();
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.numel() / (n * c);
  std::vector<double> mean(c, 0), var(c, 0);
  for (int64_t i = 0; i < x.numel(); ++i) mean[(i / hw) % c] += x.data<float>()[i] / static_cast<double>(n * hw);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double d = x.data<float>()[i] - mean[(i / hw) % c];
    var[(i / hw) % c] += d * d / static_cast<double>(n * hw - 1);
  }
  return {mean, var};
}

// x normalized with its own batch statistics (biased variance), gamma 1 and beta 0: a batch norm in
// training mode.
Tensor normalizedByBatch(const Tensor& xIn, double eps) {
  Tensor x = xIn.plain().clone();
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.numel() / (n * c);
  auto [mean, var] = channelStatistics(x);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t ch = (i / hw) % c;
    const double biased = var[ch] * static_cast<double>(n * hw - 1) / static_cast<double>(n * hw);
    x.data<float>()[i] = static_cast<float>((x.data<float>()[i] - mean[ch]) / std::sqrt(biased + eps));
  }
  return x;
}

}  // namespace

TEST_CASE("batch-norm re-estimation with quantizers installed: every batch norm's mean and variance") {
  Random random(5);
  Sequential model;
  auto conv1 = std::make_shared<Conv2d>(Conv2dOptions{2, 8, 3, Conv2dParams{{1, 1}, {1, 1}}, false}, random);
  auto conv2 = std::make_shared<Conv2d>(Conv2dOptions{8, 8, 3, Conv2dParams{{1, 1}, {1, 1}}, false}, random);
  auto bn1 = std::make_shared<BatchNorm2d>(8), bn2 = std::make_shared<BatchNorm2d>(8);
  for (auto m : std::vector<std::shared_ptr<Module>>{conv1, bn1, std::make_shared<ReLU>(), conv2, bn2}) model.append(m);
  FgqOptions options;
  options.keepLayers = {"0"};  // conv1 at int8, conv2 ternary
  installFgq(model, options);
  const auto batches = randomBatches(3, {4, 2, 6, 6}, 50);
  calibrateActivations(model, batches, {});
  reestimateBatchNorm(model, batches);
  // The reference: each batch through the quantized convs, every batch norm normalizing by its batch.
  std::vector<double> mean1(8, 0), var1(8, 0), mean2(8, 0), var2(8, 0);
  NoGradGuard noGrad;
  for (const Tensor& b : batches) {
    const Tensor h1 = (*conv1)(Variable(b)).tensor();
    const Tensor h2 = (*conv2)(relu(Variable(normalizedByBatch(h1, bn1->eps)))).tensor();
    const auto [m1, v1] = channelStatistics(h1);
    const auto [m2, v2] = channelStatistics(h2);
    for (int c = 0; c < 8; ++c) {
      mean1[c] += m1[c] / 3;
      var1[c] += v1[c] / 3;
      mean2[c] += m2[c] / 3;
      var2[c] += v2[c] / 3;
    }
  }
  for (int c = 0; c < 8; ++c) {
    INFO("channel " << c);
    CHECK(bn1->runningMean.data<float>()[c] == doctest::Approx(mean1[c]).epsilon(1e-4));
    CHECK(bn1->runningVar.data<float>()[c] == doctest::Approx(var1[c]).epsilon(1e-4));
    CHECK(bn2->runningMean.data<float>()[c] == doctest::Approx(mean2[c]).epsilon(1e-4));
    CHECK(bn2->runningVar.data<float>()[c] == doctest::Approx(var2[c]).epsilon(1e-4));
  }
}

TEST_CASE("batch-norm re-estimation sets running statistics to the average of the calibration batches") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  const auto batches = randomBatches(3, {4, 1, 28, 28}, 20);
  reestimateBatchNorm(*model, batches);
  CHECK_FALSE(model->isTraining());
  // conv1's output statistics are known directly: compare bn1's running mean with them.
  auto* conv1 = dynamic_cast<Conv2d*>(model->namedModules()[1].second);
  auto* bn1 = dynamic_cast<BatchNorm2d*>(model->namedModules()[2].second);
  REQUIRE(conv1);
  REQUIRE(bn1);
  std::vector<double> mean(16, 0);
  NoGradGuard noGrad;
  for (const Tensor& b : batches) {
    const Tensor y = (*conv1)(Variable(b)).tensor().plain();
    for (int64_t i = 0; i < y.numel(); ++i) mean[(i / (28 * 28)) % 16] += y.data<float>()[i] / (4.0 * 28 * 28 * 3);
  }
  for (int c = 0; c < 16; ++c) CHECK(bn1->runningMean.data<float>()[c] == doctest::Approx(mean[c]).epsilon(1e-4));
  CHECK(bn1->numBatchesTracked.data<int64_t>()[0] == 3);
  CHECK(bn1->momentum == 0.1);
}

TEST_CASE("a converted model saves as codes and scales, reloads, and computes the same outputs") {
  testing::TempDir dir;
  FgqOptions options;
  options.groups = GroupSpec::parse("8");
  options.solver = TernarySolver::kTwoScale;
  auto model = createModel("resnet20", {1, 10, 28, 0});
  installFgq(*model, options);
  const auto batches = randomBatches(2, {4, 1, 28, 28}, 30);
  calibrateActivations(*model, batches, {});
  model->eval();
  NoGradGuard noGrad;
  const Tensor before = (*model)(Variable(batches[0])).tensor();
  saveQuantizedModel(dir / "q.safetensors", *model, {{"note", "test"}});
  CHECK(readQuantizedDescription(dir / "q.safetensors")["note"] == "test");

  auto reloaded = createModel("resnet20", {1, 10, 28, 99});  // other random weights: all must be replaced
  installFgq(*reloaded, options);
  loadQuantizedModel(dir / "q.safetensors", *reloaded);
  reloaded->eval();
  CHECK(compare((*reloaded)(Variable(batches[0])).tensor(), before).maxAbsDiff == 0);

  auto plain = createModel("resnet20", {1, 10, 28, 0});
  CHECK_THROWS_WITH_AS(loadQuantizedModel(dir / "q.safetensors", *plain), doctest::Contains("missing tensor 'conv1.weight'"), Error);
}

namespace {

// Images whose statistics vary from one to the next (a brightness and a contrast of their own), as a
// data set's do: one image's batch-norm statistics are not the data set's.
std::vector<Tensor> variedImages(int64_t count, uint64_t seed) {
  Random random(seed);
  std::vector<Tensor> images;
  for (int64_t i = 0; i < count; ++i) {
    Tensor t = Tensor::empty({1, 2, 6, 6});
    random.fillNormal(t, random.uniform(-1, 1), random.uniform(0.3, 2.0));
    images.push_back(t);
  }
  return images;
}

struct ConvBnNet {
  Sequential model;
  std::shared_ptr<BatchNorm2d> bn1 = std::make_shared<BatchNorm2d>(8), bn2 = std::make_shared<BatchNorm2d>(8);
  explicit ConvBnNet(uint64_t seed) {
    Random random(seed);
    model.append(std::make_shared<Conv2d>(Conv2dOptions{2, 8, 3, Conv2dParams{{1, 1}, {1, 1}}, false}, random));
    model.append(bn1);
    model.append(std::make_shared<ReLU>());
    model.append(std::make_shared<Conv2d>(Conv2dOptions{8, 8, 3, Conv2dParams{{1, 1}, {1, 1}}, false}, random));
    model.append(bn2);
  }
};

double distance(const BatchNormStatistics& a, const BatchNormStatistics& b) {
  double d = 0;
  for (size_t i = 0; i < a.mean.size(); ++i) {
    d += maxAbs(sub(a.mean[i], b.mean[i]));
    d += maxAbs(sub(a.var[i], b.var[i]));
  }
  return d;
}

}  // namespace

TEST_CASE("from one image, corrected batch-norm statistics land nearer the many-image ones than re-estimated ones") {
  const std::vector<Tensor> many = variedImages(256, 60), one = {variedImages(1, 61)[0]};
  QuantizationConfig q;
  q.fgq.groups = GroupSpec::parse("8");
  q.fgq.keepLayers = {"0"};
  auto convert = [&](BnStatistics statistics, const std::vector<Tensor>& batches) {
    ConvBnNet net(3);
    reestimateBatchNorm(net.model, many);  // the "trained" FP32 statistics: the data set's
    q.bnStatistics = statistics;
    convertFgq(net.model, q, batches);
    return runningStatistics(net.model);
  };
  const BatchNormStatistics reference = convert(BnStatistics::kReestimate, many);
  const double replaced = distance(convert(BnStatistics::kReestimate, one), reference);
  const double corrected = distance(convert(BnStatistics::kCorrect, one), reference);
  MESSAGE("distance to the 256-image statistics: re-estimated " << replaced << ", corrected " << corrected);
  CHECK(corrected < 0.5 * replaced);
  // From the same many images, correcting lands where re-estimation does: the shift is all that moved.
  CHECK(distance(convert(BnStatistics::kCorrect, many), reference) < 0.05 * replaced);
}

TEST_CASE("data-free synthesis lowers the batch-norm statistics mismatch and unhooks every batch norm after") {
  ConvBnNet net(5);
  reestimateBatchNorm(net.model, variedImages(64, 70));
  const SynthesizedImages s = synthesizeImages(net.model, {2, 6, 6}, SynthesisOptions{8, 60, 0.1, 3});
  MESSAGE("statistics mismatch " << s.initialLoss << " -> " << s.finalLoss);
  CHECK(s.finalLoss < 0.5 * s.initialLoss);
  CHECK_FALSE(net.bn1->inputObserver);
  CHECK_FALSE(net.bn2->inputObserver);
}

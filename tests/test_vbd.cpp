// Variable bit-depth compression: the quantizer's gradient table, the stages' invariants, the export,
// and distillation's fixed point.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "autograd/Functions.h"
#include "autograd/Gradcheck.h"
#include "core/Random.h"
#include "core/TensorOps.h"
#include "layers/models/Models.h"
#include "layers/ops/Ops.h"
#include "layers/BatchNormFolding.h"
#include "quant/Vbd.h"
#include "quant/VbdExport.h"
#include "quant/VbdSizeTerm.h"
#include "train/Distillation.h"

using namespace fgq;

namespace {

struct Grads {
  double x, e, b, a;
};

// The gradients of q with respect to x, E, B and alpha for one element, from the op's backward.
Grads opGrads(double x, double b, double e, double a) {
  Variable vx(Tensor::full({1}, x), true), vb(Tensor::full({1}, b), true), ve(Tensor::full({1}, e), true),
      va(Tensor::full({1}, a), true);
  vbdQuantize(vx, vb, ve, va, false).backward(Tensor::full({1}, 1.0));
  return {vx.grad().itemAsDouble(), ve.grad().itemAsDouble(), vb.grad().itemAsDouble(), va.grad().itemAsDouble()};
}

}  // namespace

TEST_CASE("the VBD quantizer's gradients follow the table of methods.md 2.3 in every region") {
  const double ln2 = std::numbers::ln2;
  const double b = 4, e = -2, a = 0.5;  // window: lo = 0.5 - 8 = -7.5, hi = 0.5 + 8 - 1 = 7.5, scale 1/4
  const double scale = std::exp2(e), half = std::exp2(b - 1);
  // inside: x = 1.1 -> u = 4.4
  Grads g = opGrads(1.1, b, e, a);
  CHECK(g.x == doctest::Approx(1));
  CHECK(g.e == doctest::Approx(ln2 * scale * (std::nearbyint(4.4) - 4.4)).epsilon(1e-4));
  CHECK(g.b == 0);
  CHECK(g.a == 0);
  // above: x = 3 -> u = 12 >= hi
  g = opGrads(3, b, e, a);
  CHECK(g.x == 0);
  CHECK(g.e == doctest::Approx(ln2 * scale * std::nearbyint(7.5)));
  CHECK(g.b == doctest::Approx(ln2 * scale * half));
  CHECK(g.a == doctest::Approx(scale));
  // below: x = -3 -> u = -12 <= lo
  g = opGrads(-3, b, e, a);
  CHECK(g.x == 0);
  CHECK(g.e == doctest::Approx(ln2 * scale * std::nearbyint(-7.5)));
  CHECK(g.b == doctest::Approx(-ln2 * scale * half));
  CHECK(g.a == doctest::Approx(scale));
}

TEST_CASE("VBD gradients match finite differences where q is differentiable (E of values clipped at integer edges)") {
  // Every value is clipped (B = 3, E = 0: window [-4, 3]), so q = 2^E * edge and dq/dE = ln2 * 2^E * edge
  // exactly; inside the window q is a staircase and only the straight-through table applies.
  const Tensor x = Tensor::fromVector({4}, {5.0f, 6.0f, -5.0f, -6.0f});
  GradcheckOptions options;
  options.eps = 1e-3;
  options.absTolerance = 1e-2;
  options.relTolerance = 1e-2;
  options.checkInput = {false, false, true, false};
  const GradcheckResult r = gradcheck([](const std::vector<Variable>& v) { return vbdQuantize(v[0], v[1], v[2], v[3], false); },
                                      {x, Tensor::full({1}, 3.0), Tensor::full({1}, 0.0), Tensor::full({1}, 0.0)}, options);
  INFO(r.worst);
  CHECK(r.ok);
}

namespace {

// The function whose derivatives the table of methods.md 2.3 gives, in double: inside the window
// 2^E * (u + c) with the rounding offset c = round(u) - u frozen where it was evaluated (the straight-
// through estimate), outside it 2^E times the window's edge; alpha = 2^(B-1) + delta in unsigned
// coordinates. With integer B and alpha the edges are integers, so q itself equals it there.
struct Surrogate {
  std::vector<double> x, weights, offsets;  // offsets: the frozen c per element
  int64_t channels;
  bool unsignedOffset;

  double operator()(double b, const std::vector<double>& e, const std::vector<double>& a) const {
    const int64_t perChannel = static_cast<int64_t>(x.size()) / channels;
    const double half = std::exp2(b - 1);
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const int64_t c = static_cast<int64_t>(i) / perChannel;
      const double scale = std::exp2(e[c]), alpha = unsignedOffset ? half + a[c] : a[c];
      const double lo = alpha - half, hi = alpha + half - 1, u = x[i] / scale;
      const double q = u >= hi ? scale * hi : u <= lo ? scale * lo : scale * (u + offsets[i]);
      sum += weights[i] * q;
    }
    return sum;
  }
};

// Checks the op's backward for B, every E and alpha (or delta) and x against central differences of the
// surrogate, on values drawn clear of the edges and of rounding ties.
void checkAgainstSurrogate(int64_t channels, bool unsignedOffset) {
  const double b = 4;
  std::vector<double> e{-2, -1}, a = unsignedOffset ? std::vector<double>{0, 1} : std::vector<double>{1, -2};
  e.resize(channels);
  a.resize(channels);
  Random random(11 + channels);
  Surrogate s{{}, {}, {}, channels, unsignedOffset};
  const int64_t perChannel = 12;
  for (int64_t c = 0; c < channels; ++c)
    while (static_cast<int64_t>(s.x.size()) < (c + 1) * perChannel) {
      const double scale = std::exp2(e[c]), half = std::exp2(b - 1), alpha = unsignedOffset ? half + a[c] : a[c];
      const double x = random.normal() * 12 * scale, u = x / scale;
      const double tie = std::abs(u - std::floor(u) - 0.5);
      if (std::abs(u - (alpha - half)) < 0.2 || std::abs(u - (alpha + half - 1)) < 0.2 || tie < 0.05) continue;
      s.x.push_back(static_cast<float>(x));
      s.offsets.push_back(std::nearbyint(static_cast<float>(x) / scale) - static_cast<float>(x) / scale);
      s.weights.push_back(random.uniform(-1, 1));
    }
  std::vector<float> xs(s.x.begin(), s.x.end()), ws(s.weights.begin(), s.weights.end()), es(e.begin(), e.end()), as(a.begin(), a.end());
  Variable vx(Tensor::fromVector({channels, perChannel}, xs), true), vb(Tensor::full({1}, b), true),
      ve(Tensor::fromVector({channels}, es), true), va(Tensor::fromVector({channels}, as), true);
  vbdQuantize(vx, vb, ve, va, unsignedOffset).backward(Tensor::fromVector({channels, perChannel}, ws));
  const double h = 1e-5;
  auto near = [](double analytic, double numeric) { return std::abs(analytic - numeric) <= 1e-3 * (1 + std::abs(numeric)); };
  const double dB = (s(b + h, e, a) - s(b - h, e, a)) / (2 * h);
  INFO("channels " << channels << (unsignedOffset ? ", unsigned" : ", signed"));
  CHECK_MESSAGE(near(vb.grad().itemAsDouble(), dB), "dB " << vb.grad().itemAsDouble() << " vs " << dB);
  for (int64_t c = 0; c < channels; ++c) {
    std::vector<double> up = e, down = e;
    up[c] += h;
    down[c] -= h;
    const double dE = (s(b, up, a) - s(b, down, a)) / (2 * h);
    CHECK_MESSAGE(near(ve.grad().data<float>()[c], dE), "dE[" << c << "] " << ve.grad().data<float>()[c] << " vs " << dE);
    up = a;
    down = a;
    up[c] += h;
    down[c] -= h;
    const double dA = (s(b, e, up) - s(b, e, down)) / (2 * h);
    CHECK_MESSAGE(near(va.grad().data<float>()[c], dA), "dalpha[" << c << "] " << va.grad().data<float>()[c] << " vs " << dA);
  }
  for (size_t i = 0; i < s.x.size(); ++i) {
    Surrogate moved = s;
    moved.x[i] += h;
    const double up = moved(b, e, a);
    moved.x[i] -= 2 * h;
    const double dX = (up - moved(b, e, a)) / (2 * h);
    CHECK_MESSAGE(near(vx.grad().data<float>()[i], dX), "dx[" << i << "] " << vx.grad().data<float>()[i] << " vs " << dX);
  }
}

}  // namespace

TEST_CASE("VBD gradients for B, E, alpha and x match finite differences of the surrogate: signed, unsigned, per channel") {
  for (int64_t channels : {1, 2})
    for (bool unsignedOffset : {false, true}) checkAgainstSurrogate(channels, unsignedOffset);
}

TEST_CASE("in the export's format the quantizer computes and differentiates as it does at E and the offset rounded") {
  for (bool unsignedOffset : {false, true}) {
    Random random(unsignedOffset ? 5 : 6);
    Tensor x = Tensor::empty({2, 12});
    random.fillNormal(x, 0, 2);
    Tensor gy = Tensor::empty({2, 12});
    random.fillNormal(gy, 0, 1);
    struct Result {
      Tensor q, gx, gb, ge, ga;
    };
    auto run = [&](const std::vector<float>& e, const std::vector<float>& a, bool rounded) {
      Variable vx(x.clone(), true), vb(Tensor::full({1}, 4.0), true), ve(Tensor::fromVector({2}, e), true), va(Tensor::fromVector({2}, a), true);
      Variable q = vbdQuantize(vx, vb, ve, va, unsignedOffset, rounded);
      q.backward(gy);
      return Result{q.tensor(), vx.grad(), vb.grad(), ve.grad(), va.grad()};
    };
    const Result learned = run({-1.3f, -2.6f}, {0.4f, -1.7f}, true), atIntegers = run({-1, -3}, {0, -2}, false);
    INFO((unsignedOffset ? "unsigned" : "signed"));
    CHECK(compare(learned.q, atIntegers.q).maxAbsDiff == 0);
    CHECK(compare(learned.gx, atIntegers.gx).maxAbsDiff == 0);
    CHECK(compare(learned.gb, atIntegers.gb).maxAbsDiff == 0);
    CHECK(compare(learned.ge, atIntegers.ge).maxAbsDiff == 0);
    CHECK(compare(learned.ga, atIntegers.ga).maxAbsDiff == 0);
    CHECK(compare(run({-1.3f, -2.6f}, {0.4f, -1.7f}, false).q, atIntegers.q).maxAbsDiff > 0);  // the format matters here
  }
}

TEST_CASE("per-channel splitting keeps the output; ceil-and-freeze never lowers a bit depth") {
  Random random(3);
  VbdQuantizer q(5.3, -3, false);
  Tensor w = Tensor::empty({4, 3});
  random.fillNormal(w, 0, 0.5);
  NoGradGuard noGrad;
  const Tensor before = q(Variable(w)).tensor();
  q.splitPerChannel(4);
  CHECK(q.exponent.shape() == Shape{4});
  CHECK(compare(q(Variable(w)).tensor(), before).maxAbsDiff == 0);
  for (double b : {5.3, 4.0, 2.0001, 7.999}) {
    VbdQuantizer r(b, 0, true);
    r.ceilAndFreezeBits();
    CHECK(r.bits.tensor().data<float>()[0] >= static_cast<float>(b));
    CHECK(r.bits.tensor().data<float>()[0] == std::ceil(static_cast<float>(b)));
    CHECK_FALSE(r.bits.requiresGrad());
  }
}

TEST_CASE("a bit taken from or given to the range halves or doubles the window at the same step; to the resolution it changes the step in the same window") {
  // 4 bits at E = -2 (steps of 0.25), over inputs from -12 to 12.
  for (const bool isUnsigned : {true, false}) {
    auto quantizer = [&] {  // unsigned: codes 0..15; signed, offset -2: codes -10..5
      auto q = std::make_unique<VbdQuantizer>(4, -2, isUnsigned);
      q->offset.tensor().data<float>()[0] = isUnsigned ? 0.0f : -2.0f;
      return q;
    };
    Tensor x = Tensor::empty({241});
    for (int64_t i = 0; i < 241; ++i) x.data<float>()[i] = static_cast<float>(-12.0 + 0.1 * static_cast<double>(i));
    NoGradGuard noGrad;
    auto window = [&](VbdQuantizer& q) {
      const Tensor y = q(Variable(x)).tensor();
      const float* v = y.data<float>();
      return std::pair{*std::min_element(v, v + 241), *std::max_element(v, v + 241)};
    };
    auto four = quantizer();
    const auto [lo, hi] = window(*four);
    CHECK(lo == doctest::Approx(isUnsigned ? 0.0 : -2.5));
    CHECK(hi == doctest::Approx(lo + 15 * 0.25));
    for (const int delta : {-1, 1}) {
      CAPTURE(isUnsigned);
      CAPTURE(delta);
      auto range = quantizer(), resolution = quantizer();
      range->changeBits(delta, VbdQuantizer::BitFrom::kRange);
      resolution->changeBits(delta, VbdQuantizer::BitFrom::kResolution);
      CHECK(range->bits.tensor().data<float>()[0] == 4 + delta);
      CHECK(resolution->bits.tensor().data<float>()[0] == 4 + delta);
      CHECK(range->exponent.tensor().data<float>()[0] == -2);
      CHECK(resolution->exponent.tensor().data<float>()[0] == -2 - delta);
      // Range: 2^(4 + delta) levels of the same step, from the same lower edge (unsigned) or about the
      // same centre (signed, alpha = -2).
      const double levels = std::exp2(4 + delta);
      CHECK(window(*range).first == doctest::Approx(isUnsigned ? lo : (-2 - levels / 2) * 0.25));
      CHECK(window(*range).second == doctest::Approx(window(*range).first + (levels - 1) * 0.25));
      // Resolution: the same lower edge, 2^(4 + delta) levels of the new step: the old top plus one old
      // step less one new step.
      const double step = 0.25 * std::exp2(-delta);
      CHECK(window(*resolution).first == doctest::Approx(lo));
      CHECK(window(*resolution).second == doctest::Approx(lo + (levels - 1) * step));
    }
  }
}

TEST_CASE("folding batch norm keeps a model's evaluation output") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  Random random(9);
  for (auto& [name, t] : model->stateDict()) {
    if (t.dtype() != DType::kF32 || name.find("bn") == std::string::npos) continue;
    Tensor values = t;  // shares the module's storage
    random.fillUniform(values, 0.5, 1.5);  // gamma, beta, mean and var all away from their defaults
  }
  model->eval();
  Tensor x = Tensor::empty({2, 1, 28, 28});
  random.fillNormal(x, 0, 1);
  NoGradGuard noGrad;
  const Tensor before = (*model)(Variable(x)).tensor();
  foldBatchNorm(*model);
  const Comparison c = compare((*model)(Variable(x)).tensor(), before);
  INFO("relative " << c.relative);
  CHECK(c.relative < 1e-5);
}

TEST_CASE("the exported integer model computes what the training graph computes, in the export's format before the export too") {
  auto model = createModel("resnet20", {1, 10, 28, 0});
  model->eval();
  foldBatchNorm(*model);
  Random random(4);
  Tensor x = Tensor::empty({4, 1, 28, 28});
  random.fillNormal(x, 0, 1);
  installVbd(*model, {x}, {});
  // Move the parameters off their initial integers, as training would.
  for (const VbdTensor& t : vbdTensors(*model, {1, 28, 28})) {
    t.quantizer->bits.tensor().data<float>()[0] -= static_cast<float>(random.uniform(0, 3.5));
    t.quantizer->exponent.tensor().data<float>()[0] += static_cast<float>(random.uniform(-0.4, 0.4));
    t.quantizer->offset.tensor().data<float>()[0] += static_cast<float>(random.uniform(-2, 2));
    t.quantizer->ceilAndFreezeBits();
    t.quantizer->useExportFormat();
  }
  Tensor trained;
  {
    NoGradGuard noGrad;
    trained = (*model)(Variable(x)).tensor().clone();  // what training in the export's format sees
  }
  const auto exported = exportVbd(*model);  // rounds E and alpha in the model too
  auto deployed = createModel("resnet20", {1, 10, 28, 0});
  deployed->eval();
  foldBatchNorm(*deployed);
  loadVbdExport(*deployed, exported, "export");
  NoGradGuard noGrad;
  const Comparison c = compare((*deployed)(Variable(x)).tensor(), (*model)(Variable(x)).tensor());
  INFO("max |difference| " << c.maxAbsDiff);
  CHECK(c.relative < 1e-5);
  CHECK(compare(trained, (*model)(Variable(x)).tensor()).maxAbsDiff == 0);
  CHECK(exported.at("layer1.0.conv1.weight.codes").dtype() == DType::kU8);  // packed B-bit fields
}

TEST_CASE("distillation of a student identical to its teacher has zero loss and a zero gradient for every parameter") {
  auto teacher = createModel("resnet20", {1, 10, 28, 0});
  auto student = createModel("resnet20", {1, 10, 28, 0});
  teacher->eval();
  student->eval();
  Random random(6);
  Tensor x = Tensor::empty({4, 1, 28, 28});
  random.fillNormal(x, 0, 1);
  DistillationForward d = distillationForward(*student, *teacher, x);
  CHECK(d.l1.tensor().itemAsDouble() == 0);
  CHECK(maxAbs(sub(d.logits.tensor(), d.teacherLogits)) == 0);
  d.l1.backward();
  for (const auto& [name, p] : student->namedParameters()) {
    INFO(name);
    REQUIRE(p.hasGrad());
    CHECK(maxAbs(p.grad()) == 0);
  }
  for (const auto& [name, p] : teacher->namedParameters()) {
    INFO(name);
    CHECK_FALSE(p.hasGrad());  // the teacher runs without gradients
  }
  CHECK(heldOutL1(*student, heldOut(*teacher, {x, x})) == 0);
}

TEST_CASE("the size term is the count-weighted mean of max(B, 0)") {
  VbdQuantizer a(4, 0, false), b(8, 0, false), c(2, 0, false);
  c.bits.tensor().data<float>()[0] = -1;  // pruned by training
  const std::vector<VbdTensor> tensors{{"a.weight", &a, 100, true}, {"b.input", &b, 300, false}, {"c.weight", &c, 100, true}};
  Variable all = averageBits(tensors, false);
  CHECK(all.tensor().itemAsDouble() == doctest::Approx((4 * 100 + 8 * 300 + 0) / 500.0));
  CHECK(averageBits(tensors, true).tensor().itemAsDouble() == doctest::Approx(2.0));
  all.backward();
  CHECK(a.bits.grad().itemAsDouble() == doctest::Approx(100 / 500.0));
  CHECK(c.bits.grad().itemAsDouble() == 0);
}

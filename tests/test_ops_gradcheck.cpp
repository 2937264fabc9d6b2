// Every layer op against finite differences: in double precision through the plain-loop references,
// and in single precision through the oneDNN kernels (larger step and tolerance).
#include <doctest/doctest.h>

#include "autograd/Functions.h"
#include "autograd/Gradcheck.h"
#include "core/Random.h"
#include "layers/ops/Ops.h"

using namespace fgq;

namespace {

// Distinct values spread over (-1, 1), shuffled, none within 1/n of zero: finite differences then
// never straddle a kink of relu or a tie of max pooling.
Tensor kinkFreeTensor(const Shape& shape, DType dtype, uint64_t seed) {
  Random random(seed);
  const int64_t n = shape.numel();
  std::vector<double> values(n);
  for (int64_t i = 0; i < n; ++i) values[i] = (2.0 * i + 1.0) / n - 1.0;
  for (int64_t i = n - 1; i > 0; --i) std::swap(values[i], values[random.below(i + 1)]);
  Tensor t = Tensor::empty(shape, DType::kF64);
  std::copy(values.begin(), values.end(), t.data<double>());
  return t.to(dtype);
}

// Runs the check in f64 (reference kernels) and in f32 (oneDNN kernels).
void checkBothPrecisions(const GradcheckFn& f, const std::vector<Shape>& shapes, std::vector<bool> checkInput = {}) {
  for (DType dtype : {DType::kF64, DType::kF32}) {
    std::vector<Tensor> inputs;
    for (size_t i = 0; i < shapes.size(); ++i) inputs.push_back(kinkFreeTensor(shapes[i], dtype, 100 + i));
    GradcheckOptions options;
    options.checkInput = checkInput;
    if (dtype == DType::kF32) {
      options.eps = 1e-3;
      options.absTolerance = 2e-3;
      options.relTolerance = 2e-2;
    }
    const GradcheckResult r = gradcheck(f, inputs, options);
    INFO(dtypeName(dtype) << ": " << r.worst << " (error " << r.worstError << ")");
    CHECK(r.ok);
  }
}

}  // namespace

TEST_CASE("conv2d backward matches finite differences: stride, padding, dilation, groups, bias") {
  struct Case {
    Shape x, w;
    Conv2dParams p;
  };
  const Case cases[] = {
      {{2, 3, 6, 6}, {4, 3, 3, 3}, {}},
      {{2, 3, 7, 7}, {4, 3, 3, 3}, {{2, 2}, {1, 1}, {1, 1}, 1}},
      {{1, 2, 7, 7}, {3, 2, 3, 3}, {{1, 1}, {2, 2}, {2, 2}, 1}},
      {{2, 4, 5, 5}, {6, 2, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 2}},
      {{1, 3, 5, 6}, {2, 3, 1, 1}, {{2, 1}, {0, 0}, {1, 1}, 1}},
  };
  for (const Case& c : cases) {
    INFO("x " << c.x.str() << " w " << c.w.str() << " " << c.p.str());
    checkBothPrecisions([&](const std::vector<Variable>& v) { return conv2d(v[0], v[1], v[2], c.p); },
                        {c.x, c.w, Shape{c.w[0]}});
  }
}

TEST_CASE("linear backward matches finite differences") {
  checkBothPrecisions([](const std::vector<Variable>& v) { return linear(v[0], v[1], v[2]); }, {{3, 5}, {4, 5}, {4}});
}

TEST_CASE("batch norm backward matches finite differences in train and eval mode") {
  for (bool training : {true, false}) {
    INFO("training " << training);
    checkBothPrecisions(
        [training](const std::vector<Variable>& v) {
          Tensor mean = Tensor::full({3}, 0.1, v[0].dtype()), var = Tensor::full({3}, 0.8, v[0].dtype());
          return batchNorm2d(v[0], v[1], v[2], BatchNormState{mean, var}, training);
        },
        {{4, 3, 3, 3}, {3}, {3}});
  }
}

TEST_CASE("pooling backward matches finite differences") {
  const Pool2dParams overlap{{3, 3}, {2, 2}, {1, 1}};
  const Pool2dParams plain{{2, 2}, {2, 2}, {0, 0}};
  for (const Pool2dParams& p : {overlap, plain}) {
    INFO(p.str());
    checkBothPrecisions([&](const std::vector<Variable>& v) { return maxPool2d(v[0], p); }, {{2, 3, 6, 6}});
    checkBothPrecisions([&](const std::vector<Variable>& v) { return avgPool2d(v[0], p); }, {{2, 3, 6, 6}});
  }
  checkBothPrecisions([](const std::vector<Variable>& v) { return adaptiveAvgPool2d(v[0], 1, 1); }, {{2, 3, 4, 4}});
}

TEST_CASE("relu, add, dropout and cross-entropy backward match finite differences") {
  checkBothPrecisions([](const std::vector<Variable>& v) { return relu(v[0]); }, {{2, 3, 4, 4}});
  checkBothPrecisions([](const std::vector<Variable>& v) { return add(relu(v[0]), v[1]); }, {{2, 3, 4, 4}, {2, 3, 4, 4}});
  checkBothPrecisions([](const std::vector<Variable>& v) { return dropout(v[0], 0.3, 99); }, {{2, 8}});
  Tensor targets = Tensor::zeros({4}, DType::kS64);
  for (int i = 0; i < 4; ++i) targets.data<int64_t>()[i] = (i * 3) % 5;
  for (double smoothing : {0.0, 0.1})
    checkBothPrecisions([&](const std::vector<Variable>& v) { return crossEntropy(v[0], targets, smoothing); }, {{4, 5}});
}

TEST_CASE("the L1 distillation loss's backward matches finite differences") {
  // Against zero the differences take both signs (none within the step of a kink); against 2, one sign.
  for (double target : {0.0, 2.0})
    checkBothPrecisions([&](const std::vector<Variable>& v) { return l1Loss(v[0], Tensor::full(v[0].shape(), target)); }, {{3, 10}});
}

TEST_CASE("channel moments (mean and variance per channel) backward matches finite differences") {
  checkBothPrecisions([](const std::vector<Variable>& v) { return channelMoments(v[0]); }, {{3, 4, 2, 5}});
}

// The oneDNN kernels against the plain-loop references, forward and backward, in f32; and the layout
// contract: activations stay in oneDNN's blocked layouts along a chain, with no reorders between ops.
#include <doctest/doctest.h>

#include "autograd/Functions.h"
#include "core/Random.h"
#include "core/TensorOps.h"
#include "layers/onednn/TensorMemory.h"
#include "layers/onednn/OnednnLayout.h"
#include "layers/ops/Ops.h"

using namespace fgq;

namespace {

Tensor randomTensor(const Shape& shape, uint64_t seed) {
  Random random(seed);
  Tensor t = Tensor::empty(shape);
  random.fillUniform(t, -1, 1);
  return t;
}

// Runs f on oneDNN (f32) and on the references (f64, compared after rounding to f32): outputs and the
// gradients of every input must agree to 1e-5 of each tensor's scale.
void compareWithReference(const std::function<Variable(const std::vector<Variable>&)>& f, const std::vector<Shape>& shapes) {
  std::vector<Variable> fast, slow;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const Tensor t = randomTensor(shapes[i], 10 + i);
    fast.emplace_back(t, true);
    slow.emplace_back(t.to(DType::kF64), true);
  }
  Variable yFast = f(fast), ySlow = f(slow);
  const Tensor seed = randomTensor(yFast.shape(), 99);
  yFast.backward(seed);
  ySlow.backward(seed.to(DType::kF64));
  Comparison c = compare(yFast.tensor(), ySlow.tensor());
  INFO("output: worst element " << c.worstIndex << ", relative " << c.relative);
  CHECK(c.relative < 1e-5);
  for (size_t i = 0; i < shapes.size(); ++i) {
    c = compare(fast[i].grad(), slow[i].grad());
    INFO("gradient of input " << i << ": worst element " << c.worstIndex << ", relative " << c.relative);
    CHECK(c.relative < 1e-5);
  }
}

}  // namespace

TEST_CASE("oneDNN conv2d equals the reference, forward and backward") {
  const Conv2dParams strided{{2, 2}, {1, 1}, {1, 1}, 1}, dilated{{1, 1}, {2, 2}, {2, 2}, 1};
  const Conv2dParams grouped{{1, 1}, {1, 1}, {1, 1}, 4}, depthwise{{1, 1}, {1, 1}, {1, 1}, 16};
  compareWithReference([&](auto& v) { return conv2d(v[0], v[1], v[2], strided); }, {{4, 16, 14, 14}, {32, 16, 3, 3}, {32}});
  compareWithReference([&](auto& v) { return conv2d(v[0], v[1], v[2], dilated); }, {{2, 8, 12, 12}, {16, 8, 3, 3}, {16}});
  compareWithReference([&](auto& v) { return conv2d(v[0], v[1], v[2], grouped); }, {{2, 16, 10, 10}, {32, 4, 3, 3}, {32}});
  compareWithReference([&](auto& v) { return conv2d(v[0], v[1], v[2], depthwise); }, {{2, 16, 10, 10}, {16, 1, 3, 3}, {16}});
  compareWithReference([&](auto& v) { return conv2d(v[0], v[1], Variable(), Conv2dParams{}); }, {{2, 3, 9, 9}, {16, 3, 1, 1}});
}

TEST_CASE("oneDNN linear, batch norm, pooling and relu equal the references") {
  compareWithReference([](auto& v) { return linear(v[0], v[1], v[2]); }, {{8, 64}, {10, 64}, {10}});
  for (bool training : {true, false})
    compareWithReference(
        [training](auto& v) {
          Tensor mean = Tensor::full({16}, 0.1, v[0].dtype()), var = Tensor::full({16}, 0.7, v[0].dtype());
          return batchNorm2d(v[0], v[1], v[2], BatchNormState{mean, var}, training);
        },
        {{4, 16, 5, 5}, {16}, {16}});
  compareWithReference([](auto& v) { return maxPool2d(v[0], Pool2dParams{{3, 3}, {2, 2}, {1, 1}}); }, {{2, 16, 9, 9}});
  compareWithReference([](auto& v) { return avgPool2d(v[0], Pool2dParams{{2, 2}, {2, 2}, {0, 0}}); }, {{2, 16, 8, 8}});
  compareWithReference([](auto& v) { return relu(v[0]); }, {{2, 16, 5, 5}});
}

TEST_CASE("batch norm updates running statistics as PyTorch (unbiased variance, momentum)") {
  Tensor x = Tensor::fromVector({2, 1, 1, 2}, {1, 2, 3, 6});  // mean 3, biased var 3.5, unbiased 14/3
  Tensor mean = Tensor::zeros({1}), var = Tensor::full({1}, 1.0);
  Variable gamma(Tensor::full({1}, 1.0)), beta(Tensor::zeros({1}));
  batchNorm2d(Variable(x), gamma, beta, BatchNormState{mean, var, 0.1, 1e-5}, true);
  CHECK(mean.data<float>()[0] == doctest::Approx(0.3));
  CHECK(var.data<float>()[0] == doctest::Approx(0.9 + 0.1 * 14.0 / 3.0));
}

TEST_CASE("a conv-BN-ReLU-conv chain keeps the blocked layout and reorders only the weights") {
  Variable x(randomTensor({8, 32, 14, 14}, 1));
  Variable w1(randomTensor({32, 32, 3, 3}, 2), true), w2(randomTensor({32, 32, 3, 3}, 3), true);
  Variable gamma(Tensor::full({32}, 1.0), true), beta(Tensor::zeros({32}), true);
  Tensor mean = Tensor::zeros({32}), var = Tensor::full({32}, 1.0);
  const Conv2dParams same{{1, 1}, {1, 1}, {1, 1}, 1};
  auto chain = [&] {
    Variable a = conv2d(x, w1, Variable(), same);
    Variable b = relu(batchNorm2d(a, gamma, beta, BatchNormState{mean, var}, true));
    Variable c = conv2d(b, w2, Variable(), same);
    return std::make_tuple(a, b, c);
  };
  chain();  // warm-up: the input itself arrives plain and is reordered once per call
  const Tensor xBlocked = onednn::toDesc(x.tensor(), onednn::descOf(std::get<0>(chain()).tensor()));
  x = Variable(xBlocked);
  const int64_t before = onednn::reordersExecuted();
  auto [a, b, c] = chain();
  CHECK_FALSE(a.tensor().isPlain());
  CHECK(b.tensor().sameLayout(a.tensor()));
  CHECK(c.tensor().sameLayout(a.tensor()));
  CHECK(onednn::reordersExecuted() - before == 2);  // the two weight tensors, plain to blocked
}

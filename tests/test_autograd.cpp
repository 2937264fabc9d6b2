#include <doctest/doctest.h>

#include <cmath>

#include "autograd/Functions.h"
#include "autograd/Gradcheck.h"
#include "core/Random.h"
#include "core/TensorOps.h"

using namespace fgq;

TEST_CASE("gradients add up where a value is used twice") {
  Variable x(Tensor::fromVector({2}, {3.f, -1.f}), true);
  Variable y = add(mul(x, x), x);  // x^2 + x
  sum(y).backward();
  CHECK(x.grad().toVector() == std::vector<float>{7.f, -1.f});
}

TEST_CASE("a diamond graph visits the shared node once, after both consumers") {
  Variable x(Tensor::fromVector({1}, {2.f}), true);
  Variable a = scale(x, 3.0);
  Variable b = mul(a, a);  // 9 x^2
  Variable c = add(b, a);  // 9 x^2 + 3 x
  c.backward();
  CHECK(x.grad().toVector()[0] == doctest::Approx(39.f));
}

TEST_CASE("NoGradGuard records no graph") {
  Variable x(Tensor::fromVector({1}, {2.f}), true);
  NoGradGuard guard;
  Variable y = mul(x, x);
  CHECK_FALSE(y.requiresGrad());
  CHECK(y.isLeaf());
}

TEST_CASE("a user-defined op brings its own backward") {
  // Straight-through rounding: forward rounds, backward passes the gradient unchanged.
  auto roundSte = [](const Variable& x) {
    Tensor y = x.tensor().clone();
    for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = std::nearbyint(y.data<float>()[i]);
    return Variable(y, {x}, [](std::vector<Variable>& in, const Tensor& g) { in[0].addGrad(g); });
  };
  Variable x(Tensor::fromVector({3}, {0.4f, 1.6f, -2.2f}), true);
  Variable y = roundSte(x);
  CHECK(y.tensor().toVector() == std::vector<float>{0.f, 2.f, -2.f});
  sum(mul(y, y)).backward();
  CHECK(x.grad().toVector() == std::vector<float>{0.f, 4.f, -4.f});
}

TEST_CASE("backward frees the graph as it goes") {
  Variable x(Tensor::fromVector({1}, {2.f}), true);
  Variable y = mul(x, x);
  y.backward();
  CHECK(x.grad().toVector()[0] == 4.f);
  CHECK_FALSE(y.hasGrad());
}

TEST_CASE("elementwise and reduction ops pass gradcheck in double precision") {
  Random random(3);
  Tensor a = Tensor::empty({3, 4}, DType::kF64), b = Tensor::empty({3, 4}, DType::kF64);
  random.fillUniform(a, -1, 1);
  random.fillUniform(b, -1, 1);
  const auto check = [&](const GradcheckFn& f) {
    const GradcheckResult r = gradcheck(f, {a, b});
    INFO(r.worst);
    CHECK(r.ok);
  };
  check([](const std::vector<Variable>& v) { return add(v[0], v[1]); });
  check([](const std::vector<Variable>& v) { return sub(v[0], v[1]); });
  check([](const std::vector<Variable>& v) { return mul(v[0], v[1]); });
  check([](const std::vector<Variable>& v) { return scale(v[0], -2.5); });
  check([](const std::vector<Variable>& v) { return mean(mul(v[0], v[1])); });
  check([](const std::vector<Variable>& v) { return reshape(mul(v[0], v[1]), {2, 6}); });
}

TEST_CASE("gradcheck catches a wrong gradient") {
  Tensor a = Tensor::full({3}, 0.5, DType::kF64);
  auto wrong = [](const std::vector<Variable>& v) {
    return Variable(mul(v[0].tensor(), v[0].tensor()), {v[0]},
                    [](std::vector<Variable>& in, const Tensor& g) { in[0].addGrad(mul(g, in[0].tensor())); });  // misses 2x
  };
  CHECK_FALSE(gradcheck(wrong, {a}).ok);
}

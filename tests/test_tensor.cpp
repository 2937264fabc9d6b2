#include <doctest/doctest.h>

#include "core/Allocator.h"
#include "core/Random.h"
#include "core/TensorOps.h"

using namespace fgq;

TEST_CASE("tensor storage is 64-byte aligned and reshape shares it") {
  Tensor t = Tensor::zeros({2, 3, 4});
  CHECK(reinterpret_cast<uintptr_t>(t.raw()) % 64 == 0);
  Tensor r = t.reshape({6, 4});
  CHECK(r.sharesStorage(t));
  r.data<float>()[5] = 7.f;
  CHECK(t.data<float>()[5] == 7.f);
  CHECK_THROWS_WITH_AS(t.reshape({5, 5}), doctest::Contains("cannot reshape [2, 3, 4] to [5, 5]"), Error);
}

TEST_CASE("tensor refuses to be read as the wrong dtype") {
  Tensor t = Tensor::zeros({3}, DType::kS8);
  CHECK_THROWS_AS(t.data<float>(), Error);
  CHECK(t.to(DType::kF32).data<float>()[0] == 0.f);
}

TEST_CASE("caching allocator hands freed blocks back instead of mapping new memory") {
  { Tensor warm = Tensor::empty({1 << 20}); }
  const AllocatorStats before = Allocator::instance().stats();
  for (int i = 0; i < 10; ++i) Tensor t = Tensor::empty({1 << 20});
  const AllocatorStats after = Allocator::instance().stats();
  CHECK(after.freshAllocations == before.freshAllocations);
  CHECK(after.reusedAllocations == before.reusedAllocations + 10);
}

TEST_CASE("size classes round up by at most a quarter") {
  for (size_t bytes : {1ul, 300ul, 4097ul, 1000000ul, 123456789ul}) {
    const size_t r = Allocator::roundedSize(bytes);
    CHECK(r >= bytes);
    CHECK(r <= bytes + bytes / 4 + 256);
  }
}

TEST_CASE("the same seed gives the same numbers, and state restores exactly") {
  Random a(42), b(42);
  for (int i = 0; i < 5; ++i) CHECK(a.nextU64() == b.nextU64());
  const auto state = a.state();
  const double x = a.normal();
  a.setState(state);
  CHECK(a.normal() == x);
  Random c(43);
  CHECK(c.nextU64() != Random(42).nextU64());
}

TEST_CASE("normal samples have the requested moments") {
  Random r(7);
  Tensor t = Tensor::empty({100000});
  r.fillNormal(t, 2.0, 3.0);
  const double mean = sumAll(t) / t.numel();
  Tensor centered = add(t, Tensor::full(t.shape(), -mean));
  const double var = sumAll(mul(centered, centered)) / t.numel();
  CHECK(mean == doctest::Approx(2.0).epsilon(0.02));
  CHECK(var == doctest::Approx(9.0).epsilon(0.02));
}

TEST_CASE("elementwise ops and comparison report the worst element") {
  Tensor a = Tensor::fromVector({3}, {1, 2, 3});
  Tensor b = Tensor::fromVector({3}, {1, 2.5, 3});
  const Comparison c = compare(a, b);
  CHECK(c.worstIndex == 1);
  CHECK(c.maxAbsDiff == doctest::Approx(0.5));
  CHECK(sumAll(add(a, b)) == doctest::Approx(12.5));
  CHECK_THROWS_AS(add(a, Tensor::zeros({4})), Error);
}

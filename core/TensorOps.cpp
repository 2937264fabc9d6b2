#include "core/TensorOps.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace fgq {
namespace {

template <typename F>
void visitFloat(DType dtype, F&& f) {
  if (dtype == DType::kF32) return f(float{});
  FGQ_CHECK(dtype == DType::kF64, "expected an f32 or f64 tensor, found " << dtypeName(dtype));
  f(double{});
}

int64_t storageElements(const Tensor& t) { return static_cast<int64_t>(t.bytes() / dtypeSize(t.dtype())); }

// Brings b into a's layout so both can be walked element by element over their storage.
Tensor matchLayout(const Tensor& a, const Tensor& b) {
  FGQ_CHECK(a.shape() == b.shape(), "shape mismatch: " << a.shape().str() << " vs " << b.shape().str());
  FGQ_CHECK(a.dtype() == b.dtype(), "dtype mismatch: " << dtypeName(a.dtype()) << " vs " << dtypeName(b.dtype()));
  if (a.sameLayout(b)) return b;
  Tensor converted = Tensor::emptyLike(a);
  converted.copyFrom(b);
  return converted;
}

template <typename Op>
Tensor binary(const Tensor& a, const Tensor& bIn, Op op) {
  const Tensor b = matchLayout(a, bIn);
  Tensor out = Tensor::emptyLike(a);
  visitFloat(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = static_cast<const T*>(a.raw());
    const T* y = static_cast<const T*>(b.raw());
    T* z = static_cast<T*>(out.raw());
    const int64_t n = storageElements(a);
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) z[i] = op(x[i], y[i]);
  });
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(a, b, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(a, b, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(a, b, [](auto x, auto y) { return x * y; }); }

Tensor scale(const Tensor& a, double factor) {
  Tensor out = a.clone();
  visitFloat(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* z = static_cast<T*>(out.raw());
    const T f = static_cast<T>(factor);
    const int64_t n = storageElements(a);
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) z[i] *= f;
  });
  return out;
}

void addInPlace(Tensor& y, const Tensor& xIn, double alpha) {
  const Tensor x = matchLayout(y, xIn);
  visitFloat(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* d = static_cast<T*>(y.raw());
    const T* s = static_cast<const T*>(x.raw());
    const T a = static_cast<T>(alpha);
    const int64_t n = storageElements(y);
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) d[i] += a * s[i];
  });
}

void fill(Tensor& t, double value) {
  FGQ_CHECK(t.isPlain(), "fill of a tensor in layout " << t.layout()->str());
  visitFloat(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::fill_n(static_cast<T*>(t.raw()), t.numel(), static_cast<T>(value));
  });
}

double sumAll(const Tensor& tIn) {
  const Tensor t = tIn.plain();
  double sum = 0;
  visitFloat(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* d = static_cast<const T*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) sum += d[i];
  });
  return sum;
}

double maxAbs(const Tensor& tIn) {
  const Tensor t = tIn.plain();
  double m = 0;
  visitFloat(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* d = static_cast<const T*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::abs(static_cast<double>(d[i])));
  });
  return m;
}

Comparison compare(const Tensor& actual, const Tensor& expected) {
  FGQ_CHECK(actual.shape() == expected.shape(),
            "compared shapes differ: " << actual.shape().str() << " vs " << expected.shape().str());
  const Tensor a = actual.to(DType::kF64), e = expected.to(DType::kF64);
  const double* x = a.data<double>();
  const double* y = e.data<double>();
  Comparison c;
  double scaleRef = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    scaleRef = std::max(scaleRef, std::abs(y[i]));
    const double diff = std::abs(x[i] - y[i]);
    if (diff > c.maxAbsDiff || std::isnan(diff)) {
      c.maxAbsDiff = std::isnan(diff) ? INFINITY : diff;
      c.worstIndex = i;
    }
  }
  c.relative = scaleRef > 0 ? c.maxAbsDiff / scaleRef : c.maxAbsDiff;
  return c;
}

Tensor concatenate(const std::vector<Tensor>& parts) {
  FGQ_CHECK(!parts.empty(), "concatenate of no tensors");
  std::vector<int64_t> dims = parts.front().shape().dims();
  dims[0] = 0;
  for (const Tensor& t : parts) {
    FGQ_CHECK(t.numel() == t.dim(0) * (parts.front().numel() / parts.front().dim(0)),
              "concatenate " << t.shape().str() << " with " << parts.front().shape().str());
    dims[0] += t.dim(0);
  }
  const DType dtype = parts.front().dtype();
  Tensor out = Tensor::empty(Shape(dims), dtype);
  char* to = static_cast<char*>(out.raw());
  for (const Tensor& t : parts) {
    FGQ_CHECK(t.dtype() == dtype, "concatenate tensors of two dtypes");
    const Tensor plain = t.plain();
    const size_t bytes = static_cast<size_t>(plain.numel()) * dtypeSize(dtype);
    std::memcpy(to, plain.raw(), bytes);
    to += bytes;
  }
  return out;
}

std::vector<Tensor> splitRows(const Tensor& t, int64_t rows) {
  FGQ_CHECK(rows > 0, "split into pieces of " << rows << " rows");
  const Tensor plain = t.plain();
  const int64_t perRow = plain.numel() / plain.dim(0);
  std::vector<Tensor> pieces;
  for (int64_t begin = 0; begin < plain.dim(0); begin += rows) {
    std::vector<int64_t> dims = plain.shape().dims();
    dims[0] = std::min(rows, plain.dim(0) - begin);
    Tensor piece = Tensor::empty(Shape(dims));
    std::copy_n(plain.data<float>() + begin * perRow, piece.numel(), piece.data<float>());
    pieces.push_back(piece);
  }
  return pieces;
}

}  // namespace fgq

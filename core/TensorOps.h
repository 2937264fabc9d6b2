#pragma once
// Elementwise and reduction kernels on f32/f64 tensors. Binary ops need equal shapes and dtypes; they
// run directly on the storage when both operands share a layout (blocked layouts included, whose
// padding stays zero), otherwise on plain copies. Results take the first operand's layout.
#include <vector>

#include "core/Tensor.h"

namespace fgq {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, double factor);
void addInPlace(Tensor& y, const Tensor& x, double alpha = 1.0);  // y += alpha * x
void fill(Tensor& t, double value);

// Batches: f32 tensors [n_i, ...] joined along the first dimension (any layouts; the result is plain),
// and a tensor cut into consecutive pieces of at most `rows` rows.
Tensor concatenate(const std::vector<Tensor>& parts);
std::vector<Tensor> splitRows(const Tensor& t, int64_t rows);

double sumAll(const Tensor& t);  // accumulated in double
double maxAbs(const Tensor& t);
// The error measure tests report: max |a - b|, that divided by max |b| (the expected tensor's scale;
// max |a - b| itself when b is all zero), and the index of the worst element.
struct Comparison {
  double maxAbsDiff = 0;
  double relative = 0;
  int64_t worstIndex = -1;
};
Comparison compare(const Tensor& actual, const Tensor& expected);

}  // namespace fgq

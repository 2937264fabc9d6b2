#include "quant/WeightTensors.h"

#include <cmath>
#include <cstring>

namespace fgq {
namespace {

template <typename T>
Tensor tensorOf(const std::vector<T>& values, DType dtype) {
  Tensor t = Tensor::empty({static_cast<int64_t>(values.size())}, dtype);
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
  return t;
}

template <typename T>
std::vector<T> take(const std::string& path, const std::string& name, std::map<std::string, Tensor>& tensors, DType dtype,
                    int64_t expected) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(path + ": missing tensor '" + name + "'");
  const Tensor t = it->second;
  tensors.erase(it);
  if (t.dtype() != dtype || (expected >= 0 && t.numel() != expected))
    throw Error(path + ": tensor '" + name + "' must hold " + (expected >= 0 ? std::to_string(expected) + " " : "") + dtypeName(dtype) +
                " values, found " + dtypeName(t.dtype()) + " " + t.shape().str());
  const T* data = static_cast<const T*>(t.raw());
  return std::vector<T>(data, data + t.numel());
}

bool isPowerOfTwo(float s) {
  int exponent = 0;
  return s > 0 && std::frexp(s, &exponent) == 0.5f;
}

}  // namespace

void storeWeightTensors(const std::string& layer, const QuantizedWeights& w, std::map<std::string, Tensor>& tensors) {
  const std::string prefix = layer + ".weight.";
  tensors[prefix + "codes"] = tensorOf(w.packedCodes(), DType::kU8);
  tensors[prefix + "scales"] = tensorOf(w.scales, DType::kF32);
  if (!w.negativeScales.empty()) tensors[prefix + "negative_scales"] = tensorOf(w.negativeScales, DType::kF32);
  if (!w.zeroPoints.empty()) tensors[prefix + "zero_points"] = tensorOf(w.zeroPoints, DType::kS32);
}

void takeWeightTensors(const std::string& path, const std::string& layer, std::map<std::string, Tensor>& tensors, QuantizedWeights& w) {
  const std::string prefix = layer + ".weight.";
  const int64_t scaleCount = w.format->scaleCount(w);
  try {
    w.unpackCodes(take<uint8_t>(path, prefix + "codes", tensors, DType::kU8, -1));
  } catch (const Error& e) {
    throw Error(path + ": tensor '" + prefix + "codes': " + e.what());
  }
  w.scales = take<float>(path, prefix + "scales", tensors, DType::kF32, scaleCount);
  if (w.format->id == WeightFormatId::kTernary && w.solver == TernarySolver::kTwoScale)
    w.negativeScales = take<float>(path, prefix + "negative_scales", tensors, DType::kF32, scaleCount);
  if (w.format->id == WeightFormatId::kPow2) {
    w.zeroPoints = take<int32_t>(path, prefix + "zero_points", tensors, DType::kS32, scaleCount);
    for (float s : w.scales)
      if (!isPowerOfTwo(s)) throw Error(path + ": tensor '" + prefix + "scales' holds " + std::to_string(s) + ", not a power of two");
  }
}

}  // namespace fgq

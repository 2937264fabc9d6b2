#include "core/DType.h"

namespace fgq {

size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF64: return 8;
    case DType::kS8: return 1;
    case DType::kU8: return 1;
    case DType::kS32: return 4;
    case DType::kS64: return 8;
  }
  return 0;
}

std::string dtypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF64: return "f64";
    case DType::kS8: return "s8";
    case DType::kU8: return "u8";
    case DType::kS32: return "s32";
    case DType::kS64: return "s64";
  }
  return "?";
}

}  // namespace fgq

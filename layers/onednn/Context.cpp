#include "layers/onednn/Context.h"

#include <atomic>

namespace fgq::onednn {
namespace {
std::atomic<int64_t> gPrimitivesCreated{0};
}  // namespace

memory::data_type dataType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return memory::data_type::f32;
    case DType::kS8: return memory::data_type::s8;
    case DType::kU8: return memory::data_type::u8;
    case DType::kS32: return memory::data_type::s32;
    default: break;
  }
  throw Error("oneDNN has no " + dtypeName(dtype) + " data type");
}

DType tensorDtype(memory::data_type type) {
  switch (type) {
    case memory::data_type::f32: return DType::kF32;
    case memory::data_type::s8: return DType::kS8;
    case memory::data_type::u8: return DType::kU8;
    case memory::data_type::s32: return DType::kS32;
    default: break;
  }
  throw Error("fgq has no tensor type for oneDNN data type " + std::to_string(static_cast<int>(type)));
}

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

dnnl::primitive_attr defaultAttr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void countPrimitive() { gPrimitivesCreated++; }
int64_t primitivesCreated() { return gPrimitivesCreated.load(); }

std::string descKey(const memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  std::string key = std::to_string(static_cast<int>(d.data_type)) + ":";
  for (int i = 0; i < d.ndims; ++i) key += std::to_string(d.dims[i]) + "/" + std::to_string(d.padded_dims[i]) + ",";
  FGQ_CHECK(d.format_kind == dnnl_blocked, "descriptor without a blocked format has no key");
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  key += "s";
  for (int i = 0; i < d.ndims; ++i) key += std::to_string(b.strides[i]) + ",";
  key += "b";
  for (int i = 0; i < b.inner_nblks; ++i) key += std::to_string(b.inner_idxs[i]) + "x" + std::to_string(b.inner_blks[i]) + ",";
  return key + "o" + std::to_string(d.offset0) + "e" + std::to_string(static_cast<int>(d.extra.flags));
}

memory::desc plainDesc(const Shape& shape, DType dtype) {
  static const memory::format_tag kTags[] = {memory::format_tag::a, memory::format_tag::ab, memory::format_tag::abc,
                                             memory::format_tag::abcd, memory::format_tag::abcde};
  FGQ_CHECK(shape.rank() >= 1 && shape.rank() <= 5, "oneDNN tensors have rank 1 to 5, found " << shape.str());
  return memory::desc(memory::dims(shape.dims().begin(), shape.dims().end()), dataType(dtype), kTags[shape.rank() - 1]);
}

void execute(const dnnl::primitive& primitive, const memory::desc& scratchpad, std::unordered_map<int, memory> args) {
  std::unique_ptr<Storage> scratch;
  if (scratchpad.get_size() > 0) {
    scratch = std::make_unique<Storage>(scratchpad.get_size());
    args[DNNL_ARG_SCRATCHPAD] = memory(scratchpad, engine(), scratch->data());
  }
  primitive.execute(stream(), args);
  stream().wait();
}

}  // namespace fgq::onednn

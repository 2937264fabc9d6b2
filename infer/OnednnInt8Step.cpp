#include "infer/OnednnInt8Step.h"

#include <cstring>

#include "infer/TensorSteps.h"

namespace fgq::infer {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

OnednnInt8Step::OnednnInt8Step(LayerSpec spec)
    : spec_(std::move(spec)), weights_(int8Weights(*spec_.weights, spec_.name)) {
  const int64_t k = spec_.geometry.outC, perChannel = static_cast<int64_t>(weights_.codes.size()) / k;
  for (int64_t c = 0; c < k; ++c) {
    float scale = spec_.input.scale * weights_.scales[static_cast<size_t>(c)] * spec_.bnScale[static_cast<size_t>(c)];
    if (scale == 0) {  // the channel computes only its shift: no weight may reach it
      std::memset(weights_.codes.data() + c * perChannel, 0, static_cast<size_t>(perChannel));
      scale = 1;
    }
    bias_.push_back(spec_.shift[static_cast<size_t>(c)] / scale);
    outputScales_.push_back(codesOnly() ? scale / spec_.codeFormat.scale : scale);
  }
  const bool ternary = spec_.weights->format->id == WeightFormatId::kTernary;
  const std::string weights = weights_.exact ? " exact, one alpha per filter" : " folded to int8";
  description_ = spec_.name + ": " + (ternary ? "ternary N=" + spec_.weights->groups.str() + weights : std::string("int8")) +
                 " (oneDNN " + (spec_.linear ? "inner product" : "conv") + "), " + layerDataflow(spec_);
  spec_.weights = nullptr;
}

OnednnInt8Step::Compiled OnednnInt8Step::compile(int64_t batch) const {
  const ConvGeometry& g = spec_.geometry;
  const dt srcType = spec_.input.isSigned() ? dt::s8 : dt::u8;
  const dt dstType = codesOnly() ? (spec_.codeFormat.isSigned() ? dt::s8 : dt::u8) : dt::f32;
  dnnl::primitive_attr attr = onednn::defaultAttr();
  attr.set_output_scales(1 << 1, outputScales_);
  dnnl::post_ops ops;
  if (codesOnly()) {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, spec_.relu ? std::max(spec_.codeFormat.lo, 0.0f) : spec_.codeFormat.lo, spec_.codeFormat.hi);
  } else {
    if (spec_.residual >= 0) ops.append_sum(1.0f);
    if (spec_.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  }
  attr.set_post_ops(ops);
  const memory::desc bias({g.outC}, dt::f32, tag::a);
  Compiled c;
  memory::desc weightsDesc;
  if (spec_.linear) {
    c.src = memory::desc({batch, g.inC}, srcType, tag::nc);
    c.dst = memory::desc({batch, g.outC}, dstType, tag::nc);
    const dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, c.src, memory::desc({g.outC, g.inC}, dt::s8, tag::any), bias, c.dst);
    const dnnl::inner_product_forward::primitive_desc pd(d, attr, onednn::engine());
    c.primitive = onednn::createPrimitive<dnnl::inner_product_forward>(pd);
    c.scratchpad = pd.scratchpad_desc();
    weightsDesc = pd.weights_desc();
  } else {
    c.src = memory::desc({batch, g.inC, g.inH, g.inW}, srcType, tag::nhwc);
    c.dst = memory::desc({batch, g.outC, g.outH(), g.outW()}, dstType, tag::nhwc);
    const dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, c.src,
                                            memory::desc({g.outC, g.inC, g.kH, g.kW}, dt::s8, tag::any), bias, c.dst, {g.strideH, g.strideW},
                                            {g.padH, g.padW}, {g.padH, g.padW});
    const dnnl::convolution_forward::primitive_desc pd(d, attr, onednn::engine());
    c.primitive = onednn::createPrimitive<dnnl::convolution_forward>(pd);
    c.scratchpad = pd.scratchpad_desc();
    weightsDesc = pd.weights_desc();
  }
  const memory::desc plain = spec_.linear ? memory::desc({g.outC, g.inC}, dt::s8, tag::oi) : memory::desc({g.outC, g.inC, g.kH, g.kW}, dt::s8, tag::oihw);
  memory user(plain, onednn::engine(), const_cast<int8_t*>(weights_.codes.data()));
  c.weights = memory(weightsDesc, onednn::engine());
  dnnl::reorder(user, c.weights).execute(onednn::stream(), user, c.weights);
  onednn::stream().wait();
  return c;
}

void OnednnInt8Step::run(Workspace& ws) {
  auto it = compiled_.find(ws.batch());
  if (it == compiled_.end()) it = compiled_.emplace(ws.batch(), compile(ws.batch())).first;
  const Compiled& c = it->second;
  const ConvGeometry& g = spec_.geometry;
  const int64_t outputs = ws.batch() * g.outH() * g.outW() * g.outC;
  void* dst = codesOnly() ? static_cast<void*>(ws.bytes(spec_.codes)) : static_cast<void*>(ws.floats(spec_.values));
  if (spec_.residual >= 0 && spec_.residual != spec_.values) std::memcpy(dst, ws.floats(spec_.residual), static_cast<size_t>(outputs) * sizeof(float));
  const memory bias({{g.outC}, dt::f32, tag::a}, onednn::engine(), const_cast<float*>(bias_.data()));
  onednn::execute(c.primitive, c.scratchpad,
                  {{DNNL_ARG_SRC, memory(c.src, onednn::engine(), ws.bytes(spec_.inputCodes))},
                   {DNNL_ARG_WEIGHTS, c.weights},
                   {DNNL_ARG_BIAS, bias},
                   {DNNL_ARG_DST, memory(c.dst, onednn::engine(), dst)}});
  if (!codesOnly() && spec_.codes >= 0) quantizeValues(ws.floats(spec_.values), outputs, spec_.codeFormat, ws.bytes(spec_.codes));
}


}  // namespace fgq::infer

#include "detect/onnx_int8.hpp"

#include "veil/core/error.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace veil {

namespace {

std::unordered_map<std::string, const onnx::TensorProto*> initializers(const onnx::GraphProto& graph) {
  std::unordered_map<std::string, const onnx::TensorProto*> out;
  for (const onnx::TensorProto& t : graph.initializer()) out[t.name()] = &t;
  return out;
}

// The convolutions that can be quantised, in graph order: float 4-D
// weights held in the file.
std::vector<int> quantisable_convs(const onnx::GraphProto& graph) {
  const auto weights = initializers(graph);
  std::vector<int> out;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& n = graph.node(i);
    if (n.op_type() != "Conv" || n.input_size() < 2 || weights.count(n.input(0))) continue;
    auto w = weights.find(n.input(1));
    if (w == weights.end() || w->second->data_type() != onnx::TensorProto::FLOAT || w->second->dims_size() != 4) continue;
    if (n.input_size() > 2 && !n.input(2).empty()) {
      auto b = weights.find(n.input(2));
      if (b == weights.end() || b->second->data_type() != onnx::TensorProto::FLOAT) continue;
    }
    out.push_back(i);
  }
  return out;
}

template <typename T>
onnx::TensorProto tensor(const std::string& name, onnx::TensorProto::DataType type, const std::vector<T>& values,
                         std::vector<int64_t> dims) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

onnx::NodeProto node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                     const std::string& output, int64_t axis = -1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const std::string& in : inputs) n.add_input(in);
  n.add_output(output);
  if (axis >= 0) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

// Weights use 7 bits of the 8 (-63..63). On x86 CPUs without VNNI, ONNX
// Runtime multiplies uint8 by int8 with VPMADDUBSW, which adds two
// products in 16 bits and saturates past 32767: 255 * 127 * 2 can, while
// 255 * 63 * 2 cannot. With 7 bits the integer sums are exact on every CPU,
// as on the one recall was measured on (which has VNNI); ONNX Runtime's
// quantisation tool calls this reduce_range.
constexpr long kWeightLimit = 63;
}  // namespace

std::vector<std::string> int8_activations(const onnx::GraphProto& graph) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (int i : quantisable_convs(graph)) {
    for (const std::string& t : {graph.node(i).input(0), graph.node(i).output(0)}) {
      if (seen.insert(t).second) out.push_back(t);
    }
  }
  return out;
}

void expose_tensors(onnx::GraphProto* graph, const std::vector<std::string>& tensors) {
  std::unordered_set<std::string> outputs;
  for (const onnx::ValueInfoProto& o : graph->output()) outputs.insert(o.name());
  for (const std::string& t : tensors) {
    if (outputs.count(t)) continue;
    onnx::ValueInfoProto* o = graph->add_output();
    o->set_name(t);
    o->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
}

void quantize_convs(onnx::GraphProto* graph, const ActivationRanges& table, int float_first, const std::string& what) {
  std::vector<int> convs = quantisable_convs(*graph);
  convs.erase(convs.begin(), convs.begin() + std::min<size_t>(convs.size(), size_t(std::max(0, float_first))));
  const auto weights = initializers(*graph);
  std::vector<onnx::TensorProto> added;
  std::vector<onnx::NodeProto> weight_nodes;  // DequantizeLinear of weights and biases: first in the graph
  // Each activation's scale and zero point (uint8, asymmetric; the range
  // always holds 0, so that zero padding is exact).
  struct Activation {
    float scale;
    uint8_t zero;
  };
  std::unordered_map<std::string, Activation> activations;
  auto activation = [&](const std::string& name) -> Activation {
    auto known = activations.find(name);
    if (known != activations.end()) return known->second;
    auto r = table.ranges.find(name);
    if (r == table.ranges.end()) {
      throw Error(what + ": the int8 table has no range for tensor " + name + " (calibrate the model again)");
    }
    const float lo = std::min(0.f, r->second.first), hi = std::max(0.f, r->second.second);
    Activation a{(hi - lo) / 255.f, 0};
    if (!(a.scale > 0.f)) a.scale = 1.f;
    a.zero = uint8_t(std::clamp(std::lround(-lo / a.scale), 0L, 255L));
    activations[name] = a;
    return a;
  };

  // `values` behind a DequantizeLinear per output channel (zero points 0),
  // made once for weights two convolutions share; returns its output.
  std::unordered_set<std::string> done;
  auto dequantized = [&](const std::string& name, onnx::TensorProto::DataType type, const auto& values,
                         const std::vector<int64_t>& dims, const std::vector<float>& scale) {
    if (done.insert(name).second) {
      using Value = typename std::decay_t<decltype(values)>::value_type;
      const int64_t channels = int64_t(scale.size());
      added.push_back(tensor(name, type, values, dims));
      added.push_back(tensor(name + "_scale", onnx::TensorProto::FLOAT, scale, {channels}));
      added.push_back(tensor(name + "_zero", type, std::vector<Value>(scale.size(), 0), {channels}));
      weight_nodes.push_back(
          node("DequantizeLinear", name + "/dq", {name, name + "_scale", name + "_zero"}, name + "/dq_output", 0));
    }
    return name + "/dq_output";
  };
  for (int i : convs) {
    onnx::NodeProto* conv = graph->mutable_node(i);
    const Activation x = activation(conv->input(0));
    activation(conv->output(0));
    // Weights: int8 per output channel, symmetric (zero point 0).
    const onnx::TensorProto& w = *weights.at(conv->input(1));
    const std::vector<float> wf = tensor_values(w, what);
    const size_t channels = size_t(w.dims(0)), per_channel = wf.size() / std::max<size_t>(1, channels);
    std::vector<float> w_scale(channels);
    std::vector<int8_t> w8(wf.size());
    for (size_t c = 0; c < channels; ++c) {
      float largest = 0.f;
      for (size_t k = 0; k < per_channel; ++k) largest = std::max(largest, std::abs(wf[c * per_channel + k]));
      w_scale[c] = largest > 0.f ? largest / float(kWeightLimit) : 1.f;
      for (size_t k = 0; k < per_channel; ++k) {
        w8[c * per_channel + k] =
            int8_t(std::clamp(std::lround(wf[c * per_channel + k] / w_scale[c]), -kWeightLimit, kWeightLimit));
      }
    }
    conv->set_input(1, dequantized(w.name() + "/veil_int8", onnx::TensorProto::INT8, w8,
                                   {w.dims().begin(), w.dims().end()}, w_scale));
    // Bias: int32 at the scale of input times weight, as QLinearConv adds it.
    if (conv->input_size() > 2 && !conv->input(2).empty()) {
      const onnx::TensorProto& b = *weights.at(conv->input(2));
      const std::vector<float> bf = tensor_values(b, what);
      if (bf.size() != channels) throw Error(what + ": convolution " + conv->name() + " has a bias of the wrong size");
      std::vector<float> b_scale(channels);
      std::vector<int32_t> b32(channels);
      for (size_t c = 0; c < channels; ++c) {
        b_scale[c] = x.scale * w_scale[c];
        const double q = std::round(double(bf[c]) / b_scale[c]);
        b32[c] = int32_t(std::clamp(q, double(std::numeric_limits<int32_t>::min()), double(std::numeric_limits<int32_t>::max())));
      }
      // Its scale depends on the input's: a bias shared by convolutions of
      // different inputs gets one copy per input.
      conv->set_input(2, dequantized(b.name() + "/veil_int32/" + conv->input(0), onnx::TensorProto::INT32, b32,
                                     {int64_t(channels)}, b_scale));
    }
  }

  // Each quantised activation t: every reader takes DQ(Q(t)) instead.
  auto q_name = [](const std::string& t) { return t + "/veil_q"; };
  auto dq_name = [](const std::string& t) { return t + "/veil_dq"; };
  for (onnx::NodeProto& n : *graph->mutable_node()) {
    for (int k = 0; k < n.input_size(); ++k) {
      if (activations.count(n.input(k))) n.set_input(k, dq_name(n.input(k)));
    }
  }
  for (const auto& [t, a] : activations) {
    added.push_back(tensor(t + "/veil_scale", onnx::TensorProto::FLOAT, std::vector<float>{a.scale}, {}));
    added.push_back(tensor(t + "/veil_zero", onnx::TensorProto::UINT8, std::vector<uint8_t>{a.zero}, {}));
  }
  auto pair_for = [&](const std::string& t, google::protobuf::RepeatedPtrField<onnx::NodeProto>* nodes) {
    *nodes->Add() = node("QuantizeLinear", q_name(t), {t, t + "/veil_scale", t + "/veil_zero"}, q_name(t));
    *nodes->Add() = node("DequantizeLinear", dq_name(t), {q_name(t), t + "/veil_scale", t + "/veil_zero"}, dq_name(t));
  };
  // Keep the topological order: weights' DQ first, then graph inputs'
  // pairs, then each producer followed by the pairs of its outputs.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (onnx::NodeProto& n : weight_nodes) *nodes.Add() = std::move(n);
  for (const onnx::ValueInfoProto& in : graph->input()) {
    if (activations.count(in.name())) pair_for(in.name(), &nodes);
  }
  for (const onnx::NodeProto& n : graph->node()) {
    *nodes.Add() = n;
    for (const std::string& o : n.output()) {
      if (activations.count(o)) pair_for(o, &nodes);
    }
  }
  graph->mutable_node()->Swap(&nodes);
  // A quantised activation that is also a graph output stays float there.
  for (onnx::TensorProto& t : added) *graph->add_initializer() = std::move(t);
}

}  // namespace veil

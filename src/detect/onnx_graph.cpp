// Edits an ONNX graph with the ONNX project's own protobuf classes
// (Debian's libonnx-dev), so that the file on disk stays byte-identical to
// the one the manifest's sha256 names.
#include "detect/onnx_session.hpp"
#include "detect/onnx_int8.hpp"

#include "veil/core/error.hpp"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace veil {

// The values of an 8-bit or float initializer, as floats.
std::vector<float> tensor_values(const onnx::TensorProto& t, const std::string& what) {
  size_t n = 1;
  for (int64_t d : t.dims()) n *= size_t(d);
  std::vector<float> out(n);
  const std::string& raw = t.raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: {
      const bool is_signed = t.data_type() == onnx::TensorProto::INT8;
      if (!raw.empty()) {
        if (raw.size() != n) throw Error(what + ": weight " + t.name() + " has the wrong size");
        for (size_t i = 0; i < n; ++i) out[i] = is_signed ? float(int8_t(raw[i])) : float(uint8_t(raw[i]));
      } else {
        if (size_t(t.int32_data_size()) != n) throw Error(what + ": weight " + t.name() + " has the wrong size");
        for (size_t i = 0; i < n; ++i) out[i] = float(t.int32_data(int(i)));
      }
      return out;
    }
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) {
        if (raw.size() != n * sizeof(float)) throw Error(what + ": weight " + t.name() + " has the wrong size");
        std::memcpy(out.data(), raw.data(), raw.size());
      } else {
        if (size_t(t.float_data_size()) != n) throw Error(what + ": weight " + t.name() + " has the wrong size");
        for (size_t i = 0; i < n; ++i) out[i] = t.float_data(int(i));
      }
      return out;
    default:
      throw Error(what + ": weight " + t.name() + " is of a type Veil cannot read");
  }
}

namespace {

// Drops the nodes no graph output depends on, and the weights no node reads.
void remove_dead_nodes(onnx::GraphProto* graph) {
  std::unordered_set<std::string> needed;
  for (const onnx::ValueInfoProto& o : graph->output()) needed.insert(o.name());
  std::vector<bool> used(graph->node_size(), false);
  for (int i = graph->node_size() - 1; i >= 0; --i) {  // nodes are in topological order
    const onnx::NodeProto& node = graph->node(i);
    for (const std::string& o : node.output()) used[i] = used[i] || needed.count(o);
    if (used[i]) needed.insert(node.input().begin(), node.input().end());
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < graph->node_size(); ++i) {
    if (used[i]) *nodes.Add() = graph->node(i);
  }
  graph->mutable_node()->Swap(&nodes);
  auto* weights = graph->mutable_initializer();
  for (int i = weights->size() - 1; i >= 0; --i) {
    if (!needed.count(weights->Get(i).name())) weights->DeleteSubrange(i, 1);
  }
}

// Turns each dynamically quantised convolution back into a float one:
//   x -> DynamicQuantizeLinear -> ConvInteger(W8) -> Cast -> Mul(x_scale * w_scale)
// becomes Conv(x, (W8 - w_zero) * w_scale) with the Mul's output. ONNX
// Runtime runs ConvInteger far slower than Conv on CPU; what remains of the
// quantisation is the weights' rounding.
void dequantize_convs(onnx::GraphProto* graph, const std::string& what) {
  std::unordered_map<std::string, int> producer;
  std::unordered_map<std::string, std::vector<int>> consumers;
  std::unordered_map<std::string, const onnx::TensorProto*> weights;
  for (int i = 0; i < graph->node_size(); ++i) {
    for (const std::string& o : graph->node(i).output()) producer[o] = i;
    for (const std::string& in : graph->node(i).input()) consumers[in].push_back(i);
  }
  for (const onnx::TensorProto& t : graph->initializer()) weights[t.name()] = &t;
  auto only_consumer = [&](const std::string& name, const char* op) -> int {
    auto it = consumers.find(name);
    if (it == consumers.end() || it->second.size() != 1 || graph->node(it->second[0]).op_type() != op) return -1;
    return it->second[0];
  };
  auto weight = [&](const std::string& name) -> const onnx::TensorProto* {
    auto it = weights.find(name);
    return it == weights.end() ? nullptr : it->second;
  };
  std::vector<onnx::TensorProto> added;
  std::unordered_set<int> removed;
  for (int i = 0; i < graph->node_size(); ++i) {
    onnx::NodeProto* conv = graph->mutable_node(i);
    if (conv->op_type() != "ConvInteger") continue;
    const std::string fail = what + ": cannot turn " + conv->name() + " into a float convolution";
    if (conv->input_size() < 2 || !producer.count(conv->input(0))) throw Error(fail);
    const onnx::NodeProto& quantize = graph->node(producer[conv->input(0)]);
    const onnx::TensorProto* w8 = weight(conv->input(1));
    const onnx::TensorProto* w_zero = conv->input_size() > 3 ? weight(conv->input(3)) : nullptr;
    const int cast = only_consumer(conv->output(0), "Cast");
    const int scale = cast < 0 ? -1 : only_consumer(graph->node(cast).output(0), "Mul");
    if (quantize.op_type() != "DynamicQuantizeLinear" || !w8 || scale < 0) throw Error(fail);
    // The Mul's other factor is x_scale * w_scale: find w_scale among its inputs.
    const onnx::NodeProto& mul = graph->node(scale);
    const std::string product = mul.input(0) == graph->node(cast).output(0) ? mul.input(1) : mul.input(0);
    const onnx::TensorProto* w_scale = nullptr;
    if (producer.count(product)) {
      for (const std::string& in : graph->node(producer[product]).input()) w_scale = w_scale ? w_scale : weight(in);
    }
    if (!w_scale) throw Error(fail);

    std::vector<float> w = tensor_values(*w8, what);
    const std::vector<float> s = tensor_values(*w_scale, what);
    const std::vector<float> z = w_zero ? tensor_values(*w_zero, what) : std::vector<float>{0.f};
    const size_t out_channels = size_t(w8->dims(0));
    const size_t per_channel = w.size() / std::max<size_t>(1, out_channels);
    if ((s.size() != 1 && s.size() != out_channels) || (z.size() != 1 && z.size() != out_channels)) throw Error(fail);
    for (size_t k = 0; k < w.size(); ++k) {
      const size_t c = k / per_channel;
      w[k] = (w[k] - z[z.size() == 1 ? 0 : c]) * s[s.size() == 1 ? 0 : c];
    }
    onnx::TensorProto f;
    f.set_name(w8->name() + "_dequantized");
    f.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : w8->dims()) f.add_dims(d);
    f.set_raw_data(std::string(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float)));
    added.push_back(std::move(f));

    const std::string x = quantize.input(0);
    const std::string y = mul.output(0);
    conv->set_op_type("Conv");
    conv->clear_input();
    conv->add_input(x);
    conv->add_input(added.back().name());
    conv->clear_output();
    conv->add_output(y);
    removed.insert(cast);
    removed.insert(scale);
    // The bias, added after the Mul (its Reshape to 1 x C x 1 x 1 of a
    // weight), becomes the convolution's own: a Conv with its bias is what
    // the int8 rewrite, and ONNX Runtime's fusions, recognise.
    const int add = only_consumer(y, "Add");
    if (add < 0) continue;
    const onnx::NodeProto& plus = graph->node(add);
    const std::string& addend = plus.input(plus.input(0) == y ? 1 : 0);
    const onnx::TensorProto* bias = nullptr;
    if (producer.count(addend) && graph->node(producer[addend]).op_type() == "Reshape") {
      bias = weight(graph->node(producer[addend]).input(0));
    }
    if (!bias || bias->data_type() != onnx::TensorProto::FLOAT || bias->dims_size() != 1 || bias->dims(0) != int64_t(out_channels)) continue;
    conv->add_input(bias->name());
    conv->set_output(0, plus.output(0));
    removed.insert(add);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (int i = 0; i < graph->node_size(); ++i) {
    if (!removed.count(i)) *nodes.Add() = graph->node(i);
  }
  graph->mutable_node()->Swap(&nodes);
  for (onnx::TensorProto& t : added) *graph->add_initializer() = std::move(t);
}

// Resize nodes that were exported with a fixed target size (an FPN's
// upsampling, in RetinaFace: sizes [40, 40] at 640x640) and whose result is
// added to another tensor are given that tensor's shape as their target
// size instead, so that they follow a free input size.
void resize_to_addend(onnx::GraphProto* graph) {
  std::unordered_map<std::string, const onnx::NodeProto*> adder;
  for (const onnx::NodeProto& node : graph->node()) {
    if (node.op_type() == "Add" && node.input_size() == 2) {
      for (const std::string& in : node.input()) adder[in] = &node;
    }
  }
  std::vector<onnx::NodeProto> shapes;
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    if (node.op_type() != "Resize" || node.input_size() < 4 || node.input(3).empty()) continue;
    auto add = adder.find(node.output(0));
    if (add == adder.end()) continue;
    const std::string& other = add->second->input(add->second->input(0) == node.output(0) ? 1 : 0);
    onnx::NodeProto shape;
    shape.set_op_type("Shape");
    shape.set_name(node.name() + "/veil_target_shape");
    shape.add_input(other);
    shape.add_output(node.name() + "/veil_target_shape_output");
    node.set_input(3, shape.output(0));
    shapes.push_back(std::move(shape));
  }
  if (shapes.empty()) return;
  // Keep the topological order: each Shape right before the Resize that reads it.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const onnx::NodeProto& node : graph->node()) {
    for (const onnx::NodeProto& shape : shapes) {
      if (node.op_type() == "Resize" && node.input(3) == shape.output(0)) *nodes.Add() = shape;
    }
    *nodes.Add() = node;
  }
  graph->mutable_node()->Swap(&nodes);
}

}  // namespace

std::string edited_model(const std::vector<uint8_t>& bytes, const GraphEdit& edit, const std::string& what,
                         EditNotes* notes) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), int(bytes.size()))) throw Error(what + " is not an ONNX model");
  onnx::GraphProto* graph = model.mutable_graph();
  if (edit.free_image_size) {
    // Old exporters list the weights among the inputs too: skip those.
    std::unordered_set<std::string> weights;
    for (const onnx::TensorProto& t : graph->initializer()) weights.insert(t.name());
    onnx::ValueInfoProto* input = nullptr;
    for (onnx::ValueInfoProto& in : *graph->mutable_input()) {
      if (!weights.count(in.name())) {
        input = &in;
        break;
      }
    }
    if (!input || !input->type().has_tensor_type() || input->type().tensor_type().shape().dim_size() != 4) {
      throw Error(what + " has no image input (N, C, H, W)");
    }
    onnx::TensorShapeProto* shape = input->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (notes) {
      notes->exported_input.clear();
      for (const onnx::TensorShapeProto::Dimension& d : shape->dim()) {
        notes->exported_input.push_back(d.has_dim_value() ? d.dim_value() : -1);
      }
    }
    shape->mutable_dim(2)->set_dim_param("height");
    shape->mutable_dim(3)->set_dim_param("width");
    // Shapes recorded at export follow from the fixed size: drop them, and
    // ONNX Runtime infers them anew from the free one.
    graph->clear_value_info();
    for (onnx::ValueInfoProto& out : *graph->mutable_output()) {
      if (out.type().has_tensor_type()) out.mutable_type()->mutable_tensor_type()->clear_shape();
    }
    resize_to_addend(graph);
  }
  if (edit.dequantize_convs) dequantize_convs(graph, what);
  if (!edit.outputs.empty()) {
    // Keep the outputs asked for and the nodes they depend on: ONNX Runtime
    // runs every node of a graph, whichever outputs a run asks for.
    std::unordered_set<std::string> keep(edit.outputs.begin(), edit.outputs.end());
    for (const std::string& name : keep) {
      bool found = false;
      for (const onnx::ValueInfoProto& o : graph->output()) found = found || o.name() == name;
      if (!found) throw Error(what + " has no output " + name);
    }
    auto* outputs = graph->mutable_output();
    for (int i = outputs->size() - 1; i >= 0; --i) {
      if (!keep.count(outputs->Get(i).name())) outputs->DeleteSubrange(i, 1);
    }
  }
  remove_dead_nodes(graph);
  if (edit.record) {
    const std::vector<std::string> tensors = int8_activations(*graph);
    expose_tensors(graph, tensors);
    if (notes) notes->recorded = tensors;
  } else if (edit.int8) {
    quantize_convs(graph, *edit.int8, edit.int8_float_first, what);
    remove_dead_nodes(graph);  // the float weights
  }
  std::string edited;
  if (!model.SerializeToString(&edited)) throw Error(what + ": cannot write the edited model");
  return edited;
}

}  // namespace veil

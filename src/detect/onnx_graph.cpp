// Edits an ONNX graph with the ONNX project's own protobuf classes
// (Debian's libonnx-dev), so that the file on disk stays byte-identical to
// the one the manifest's sha256 names.
#include "detect/onnx_session.hpp"

#include "veil/core/error.hpp"

#include <onnx/onnx_pb.h>

#include <unordered_set>

namespace veil {

std::string edited_model(const std::vector<uint8_t>& bytes, const GraphEdit& edit, const std::string& what) {
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
    shape->mutable_dim(2)->set_dim_param("height");
    shape->mutable_dim(3)->set_dim_param("width");
    // Shapes recorded at export follow from the fixed size: drop them, and
    // ONNX Runtime infers them anew from the free one.
    graph->clear_value_info();
    for (onnx::ValueInfoProto& out : *graph->mutable_output()) {
      if (out.type().has_tensor_type()) out.mutable_type()->mutable_tensor_type()->clear_shape();
    }
  }
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
    std::unordered_set<std::string> needed = keep;
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
  std::string edited;
  if (!model.SerializeToString(&edited)) throw Error(what + ": cannot write the edited model");
  return edited;
}

}  // namespace veil

// Edits an ONNX graph with the ONNX project's own protobuf classes
// (Debian's libonnx-dev), so that the file on disk stays byte-identical to
// the one the manifest's sha256 names.
#include "detect/onnx_session.hpp"

#include "veil/core/error.hpp"

#include <onnx/onnx_pb.h>

#include <unordered_set>

namespace veil {

std::string with_free_image_size(const std::vector<uint8_t>& bytes, const std::string& what) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), int(bytes.size()))) throw Error(what + " is not an ONNX model");
  onnx::GraphProto* graph = model.mutable_graph();
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
  std::string edited;
  if (!model.SerializeToString(&edited)) throw Error(what + ": cannot write the edited model");
  return edited;
}

}  // namespace veil

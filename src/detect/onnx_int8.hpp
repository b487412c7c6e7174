#pragma once
// The int8 rewrite of a float graph (QDQ), and what calibration exposes for
// it. Private to detect/: see GraphEdit::int8 for the contract.
#include "detect/int8_ranges.hpp"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace veil {

// The values of an 8-bit or float initializer, as floats. Throws
// veil::Error, naming `what`, for another type or a wrong size. (Defined in
// onnx_graph.cpp, which reads the 8-bit weights of quantised files.)
std::vector<float> tensor_values(const onnx::TensorProto& t, const std::string& what);

// The activations whose ranges the rewrite may need: the input and the
// output of every convolution it can quantise (a table holds them all, so
// that which convolutions stay float is decided when loading).
std::vector<std::string> int8_activations(const onnx::GraphProto& graph);

// Adds `tensors` to the graph's outputs (as float tensors of any shape).
void expose_tensors(onnx::GraphProto* graph, const std::vector<std::string>& tensors);

// Rewrites each such convolution but the first `float_first` (in graph
// order) in QDQ form: its input and output pass
// through QuantizeLinear -> DequantizeLinear (uint8, from `ranges`), its
// weights are int8 per output channel (symmetric) and its bias int32 at the
// product of the two scales, each behind a DequantizeLinear. ONNX Runtime
// fuses each DQ -> Conv -> Q into one QLinearConv. Throws veil::Error
// naming the tensor when `ranges` lacks one.
void quantize_convs(onnx::GraphProto* graph, const ActivationRanges& ranges, int float_first, const std::string& what);

}  // namespace veil

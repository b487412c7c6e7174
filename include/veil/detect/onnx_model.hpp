#pragma once
// What every cv::dnn detector needs before its own work: the model's bytes,
// a loaded network, and the input as 8-bit BGR. One place, one set of
// error messages.
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace veil {

// The file's bytes. `kind` names it in errors ("face model"). Throws veil::Error.
std::vector<uchar> read_model_bytes(const std::filesystem::path& file, const std::string& kind);

// An ONNX network from `bytes`; `what` names it in errors. Throws veil::Error.
cv::dnn::Net load_onnx(const std::vector<uchar>& bytes, const std::string& what);

// `image` as 8-bit BGR: itself when it already is, else a converted copy
// (grey and BGRA are accepted). `who` names the caller in errors.
cv::Mat as_bgr8(const cv::Mat& image, const std::string& who);

}  // namespace veil

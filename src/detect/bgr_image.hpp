#pragma once
#include <opencv2/core.hpp>

#include <string>

namespace veil {

// `image` as 8-bit BGR: itself when it already is, else a converted copy
// (grey and BGRA are accepted). `who` names the caller in errors. Throws
// veil::Error.
cv::Mat as_bgr8(const cv::Mat& image, const std::string& who);

}  // namespace veil

#pragma once
// The facade's plain pictures as OpenCV matrices, checked once here so that
// a caller's bad pointer, size or stride is an error, not a crash.
#include "veil/veil.hpp"

#include <opencv2/core.hpp>

namespace veil::facade {

// A header over the caller's pixels (no copy). Throws veil::Error naming
// what is wrong: a null pointer, a size of 0 or above 8192x8192, a stride
// shorter than a row.
cv::Mat wrap(const ImageView& image);

// The picture as 8-bit BGR: a copy, converted when it is not BGR already.
cv::Mat to_bgr(const ImageView& image);

// Writes `bgr` into `target` in the target's format.
void from_bgr(const cv::Mat& bgr, const MutableImageView& target);

}  // namespace veil::facade

#pragma once
// A decoded picture travelling through the pipeline.
#include <opencv2/core.hpp>

#include <cstdint>
#include <optional>

namespace veil {

struct Frame {
  cv::Mat image;                     // 8-bit BGR, full resolution
  std::int64_t index = 0;            // 0-based position in the input
  std::optional<double> pts_seconds; // presentation time; none for still images
  std::int64_t pts = 0;              // in the source stream's time base (video only)
};

}  // namespace veil

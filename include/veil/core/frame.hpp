#pragma once
// A decoded picture travelling through the pipeline.
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

extern "C" {
struct AVFrame;
}

namespace veil {

// New pixels for one area of a frame, in BGR.
struct FramePatch {
  cv::Rect area;  // in the frame; x, y even, and width, height even unless it ends at the frame's edge
  cv::Mat bgr;    // area.size(), 8-bit BGR (may be a view into Frame::image)
};

struct Frame {
  cv::Mat image;                     // 8-bit BGR, full resolution (empty for a VideoSource::set_bgr(false) frame)
  std::int64_t index = 0;            // 0-based position in the input
  std::optional<double> pts_seconds; // presentation time; none for still images
  std::int64_t pts = 0;              // in the source stream's time base (video only)

  // Video: the picture as the decoder gave it (YUV), shared and read-only.
  std::shared_ptr<const AVFrame> decoded;
  // True when `patches` lists every change made since decoding. A sink then
  // encodes `decoded` with only the patches converted back, so that the
  // pixels Veil did not touch leave exactly as they came (and faster); when
  // false it converts the whole `image`. Whoever changes pixels without
  // listing them must leave this false: an unlisted change would be lost.
  bool changes_listed = false;
  // True when `image` came from a fast, approximate conversion of `decoded`
  // (good enough to detect on): redaction then takes the pixels it changes
  // from `decoded`, converted accurately, and drops `image`, so that no
  // approximate pixel reaches the output.
  bool image_approximate = false;
  std::vector<FramePatch> patches;
};

}  // namespace veil

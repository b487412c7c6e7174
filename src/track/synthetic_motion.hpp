#pragma once
// Turns one annotated still photo into a short "video" with known ground
// truth in every frame, by moving a virtual camera window over it (pan,
// zoom, or a fixed crop). Real video with per-frame face boxes is scarce;
// this gives tests and eval real image content, and so real detector
// flicker, under controlled motion.
#include <opencv2/core.hpp>

#include <vector>

namespace veil {

// The camera path: the window of the source image shown in the first and
// the last frame, interpolated linearly in between. Equal windows give a
// static crop; windows of one size give a pan; shrinking windows a zoom in.
struct CameraPath {
  cv::Rect2f from;
  cv::Rect2f to;
  int frames = 30;
  cv::Size output{640, 480};  // every frame is resized to this
};

struct SyntheticClip {
  std::vector<cv::Mat> frames;                  // 8-bit, `output` size
  std::vector<std::vector<cv::Rect2f>> truth;   // per frame, per source box
  // truth[f][i] is source box i as seen in frame f, clipped to the frame;
  // an empty rect when it is entirely outside. Kept by index, not dropped,
  // so that callers can follow one object through the clip.
};

// Renders the clip. Parts of a window outside the image are black.
SyntheticClip render_clip(const cv::Mat& image, const std::vector<cv::Rect2f>& boxes,
                          const CameraPath& path);

// The window shown in frame `f` of `path`.
cv::Rect2f window_at(const CameraPath& path, int f);

// A horizontal pan over the full height of `image`, from its left edge to its
// right edge, with the output's aspect ratio. When the image is not wider
// than that window, the window shrinks to `fraction` of the image width.
CameraPath pan_path(cv::Size image, cv::Size output, int frames, float fraction = 0.6f);

// A zoom from the whole image into a window `end_scale` times its size,
// centred on `focus` (kept inside the image), with the output's aspect ratio.
CameraPath zoom_path(cv::Size image, cv::Size output, int frames, cv::Point2f focus, float end_scale = 0.4f);

}  // namespace veil

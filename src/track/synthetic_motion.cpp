#include "track/synthetic_motion.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace veil {

namespace {

cv::Rect2f lerp(const cv::Rect2f& a, const cv::Rect2f& b, float t) {
  return {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.width + (b.width - a.width) * t,
          a.height + (b.height - a.height) * t};
}

float aspect(cv::Size s) { return float(s.width) / float(std::max(s.height, 1)); }

// The largest window of the given aspect ratio that fits in `image`, centred.
cv::Rect2f fit_window(cv::Size image, float ratio) {
  float w = std::min(float(image.width), float(image.height) * ratio);
  float h = w / ratio;
  return {(image.width - w) / 2, (image.height - h) / 2, w, h};
}

}  // namespace

cv::Rect2f window_at(const CameraPath& path, int f) {
  float t = path.frames > 1 ? float(f) / float(path.frames - 1) : 0.f;
  return lerp(path.from, path.to, t);
}

SyntheticClip render_clip(const cv::Mat& image, const std::vector<cv::Rect2f>& boxes, const CameraPath& path) {
  SyntheticClip clip;
  const cv::Rect2f frame_rect(0.f, 0.f, float(path.output.width), float(path.output.height));
  for (int f = 0; f < path.frames; ++f) {
    cv::Rect2f win = window_at(path, f);
    float sx = path.output.width / win.width;
    float sy = path.output.height / win.height;
    // Sub-pixel window positions come out as smooth motion, as a real camera
    // would give, rather than whole-pixel steps.
    cv::Matx23d m(sx, 0, -win.x * sx, 0, sy, -win.y * sy);
    cv::Mat frame;
    cv::warpAffine(image, frame, m, path.output, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    clip.frames.push_back(frame);

    std::vector<cv::Rect2f> truth;
    for (const auto& b : boxes) {
      cv::Rect2f r((b.x - win.x) * sx, (b.y - win.y) * sy, b.width * sx, b.height * sy);
      r &= frame_rect;
      truth.push_back(r.area() > 0.f ? r : cv::Rect2f());
    }
    clip.truth.push_back(std::move(truth));
  }
  return clip;
}

CameraPath pan_path(cv::Size image, cv::Size output, int frames, float fraction) {
  float ratio = aspect(output);
  float w = std::min(float(image.height) * ratio, fraction * float(image.width));
  float h = w / ratio;
  float y = (image.height - h) / 2;
  CameraPath p;
  p.from = {0.f, y, w, h};
  p.to = {float(image.width) - w, y, w, h};
  p.frames = frames;
  p.output = output;
  return p;
}

CameraPath zoom_path(cv::Size image, cv::Size output, int frames, cv::Point2f focus, float end_scale) {
  CameraPath p;
  p.from = fit_window(image, aspect(output));
  float w = p.from.width * end_scale;
  float h = p.from.height * end_scale;
  float x = std::clamp(focus.x - w / 2, 0.f, std::max(0.f, float(image.width) - w));
  float y = std::clamp(focus.y - h / 2, 0.f, std::max(0.f, float(image.height) - h));
  p.to = {x, y, w, h};
  p.frames = frames;
  p.output = output;
  return p;
}

}  // namespace veil

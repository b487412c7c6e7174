#include "veil/detect/detector.hpp"

#include "detect/bgr_image.hpp"
#include "veil/core/error.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

std::vector<DetectorPass> Detector::focus(cv::Size /*frame*/, const Detections& /*expected*/) const { return {}; }

std::vector<cv::Rect> windows_around(cv::Size frame, const std::vector<cv::Rect2f>& boxes, int side, float margin) {
  const cv::Rect whole(cv::Point(0, 0), frame);
  std::vector<cv::Rect> out;
  for (const cv::Rect2f& box : boxes) {
    cv::Rect2f need = cv::Rect2f(box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin) &
                      cv::Rect2f(whole);
    if (need.area() <= 0.f) continue;
    bool seen = std::any_of(out.begin(), out.end(), [&](const cv::Rect& w) {
      return (cv::Rect2f(w) & need).area() >= need.area() * 0.999f;
    });
    if (seen) continue;
    cv::Point2f c = (box.tl() + box.br()) * 0.5f;
    int x = std::clamp(int(std::lround(c.x - side / 2.f)), 0, std::max(0, frame.width - side));
    int y = std::clamp(int(std::lround(c.y - side / 2.f)), 0, std::max(0, frame.height - side));
    out.push_back(cv::Rect(x, y, side, side) & whole);
  }
  return out;
}

cv::Mat as_bgr8(const cv::Mat& image, const std::string& who) {
  if (image.empty()) throw Error(who + ": empty image");
  if (image.depth() != CV_8U) throw Error(who + ": image is not 8-bit");
  if (image.channels() == 3) return image;
  cv::Mat bgr;
  if (image.channels() == 1) {
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  } else {
    throw Error(who + ": unsupported channel count");
  }
  return bgr;
}

Detections Detector::detect(const cv::Mat& image) {
  cv::Mat bgr = as_bgr8(image, name() + " detector");
  Detections raw;
  for (const DetectorPass& pass : plan(bgr.size())) {
    Detections found = run(bgr, pass);
    raw.insert(raw.end(), found.begin(), found.end());
  }
  return merge(std::move(raw), bgr.size());
}

}  // namespace veil

#include "detect/nms.hpp"

#include <algorithm>

namespace veil {

namespace {

float intersection(const cv::Rect2f& a, const cv::Rect2f& b) {
  float w = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  float h = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  return (w > 0 && h > 0) ? w * h : 0.f;
}

}  // namespace

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  float inter = intersection(a, b);
  float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

float overlap_of_smaller(const cv::Rect2f& a, const cv::Rect2f& b) {
  float smaller = std::min(a.area(), b.area());
  return smaller > 0 ? intersection(a, b) / smaller : 0.f;
}

Detections nms(Detections dets, float iou_threshold, float containment_threshold) {
  std::stable_sort(dets.begin(), dets.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  Detections kept;
  std::vector<bool> dropped(dets.size(), false);
  for (size_t i = 0; i < dets.size(); ++i) {
    if (dropped[i]) continue;
    for (size_t j = i + 1; j < dets.size(); ++j) {
      if (dropped[j] || dets[j].cls != dets[i].cls) continue;
      if (iou(dets[i].box, dets[j].box) > iou_threshold ||
          (containment_threshold < 1.f &&
           overlap_of_smaller(dets[i].box, dets[j].box) > containment_threshold)) {
        dropped[j] = true;
      }
    }
    kept.push_back(std::move(dets[i]));
  }
  return kept;
}

}  // namespace veil

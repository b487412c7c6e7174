#include "veil/detect/detector.hpp"

#include "veil/detect/onnx_model.hpp"

namespace veil {

std::vector<DetectorPass> Detector::focus(cv::Size /*frame*/, const Detections& /*expected*/) const { return {}; }

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

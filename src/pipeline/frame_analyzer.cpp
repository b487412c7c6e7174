#include "veil/pipeline/frame_analyzer.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/hyperlpr_plate_detector.hpp"
#include "veil/detect/yunet_face_detector.hpp"

#include <opencv2/core.hpp>

namespace veil {

FrameAnalyzer::FrameAnalyzer(const DetectionOptions& options, const ModelStore& store) {
  if (options.targets.count(ObjectClass::kFace)) {
    ResolvedModel m = store.resolve("yunet-face");
    YuNetOptions o;
    if (options.face_threshold) o.score_threshold = *options.face_threshold;
    detectors_.push_back(std::make_unique<YuNetFaceDetector>(m.path, o));
    models_.push_back(std::move(m));
  }
  if (options.targets.count(ObjectClass::kPlate)) {
    ResolvedModel m = store.resolve("hyperlpr3-plate-320");
    PlateOptions o;
    if (options.plate_threshold) o.score_threshold = *options.plate_threshold;
    detectors_.push_back(std::make_unique<HyperLprPlateDetector>(m.path, o));
    models_.push_back(std::move(m));
  }
}

Detections FrameAnalyzer::analyze(const cv::Mat& bgr) {
  Detections all;
  for (auto& det : detectors_) {
    try {
      Detections d = det->detect(bgr);
      all.insert(all.end(), d.begin(), d.end());
    } catch (const cv::Exception& ex) {
      throw Error(det->name() + " failed on a frame: " + ex.what());
    }
  }
  return all;
}

}  // namespace veil

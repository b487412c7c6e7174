#pragma once
// Runs every enabled detector on a frame and gathers their detections.
#include "veil/detect/detector.hpp"
#include "veil/models/model_store.hpp"

#include <optional>
#include <set>
#include <vector>

namespace veil {

struct DetectionOptions {
  std::set<ObjectClass> targets{ObjectClass::kFace, ObjectClass::kPlate};
  std::optional<float> face_threshold;   // none: the detector's recall-first default
  std::optional<float> plate_threshold;
};

class FrameAnalyzer {
 public:
  // Resolves (and verifies) the models through `store`. Throws veil::Error.
  FrameAnalyzer(const DetectionOptions& options, const ModelStore& store);
  // Throws veil::Error when any detector fails: the frame must then not be
  // written in the clear.
  Detections analyze(const cv::Mat& bgr);

 private:
  std::vector<DetectorPtr> detectors_;
};

}  // namespace veil

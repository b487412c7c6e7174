#pragma once
// Scene context: people and vehicles, found by a small general detector
// (YOLOX-nano, COCO) so that a weak face or plate candidate can be judged
// by what is around it (see support_rule.hpp). Its boxes are never hidden.
#include "detect/onnx_session.hpp"
#include "veil/detect/detector.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace veil {

struct ContextOptions {
  // Minimum objectness x class score. Low: a person the detector misses
  // leaves a weak face near them without support (docs/recall.md, "Scene
  // context").
  float score_threshold = 0.1f;
  float nms_iou = 0.45f;
};

class SceneContextDetector : public Detector {
 public:
  // Throws veil::Error when the file is not a YOLOX detector of COCO's 80
  // classes at a square input.
  SceneContextDetector(const std::filesystem::path& model_file, const ContextOptions& options = {});

  // People are the first class; each detection says which it is.
  ObjectClass object_class() const override { return ObjectClass::kPerson; }
  std::string name() const override { return "yolox-nano"; }
  // One pass over the whole frame on every frame, its long side scaled to
  // the size the model was exported at, the short side padded to a
  // multiple of 32.
  std::vector<DetectorPass> plan(cv::Size frame) const override;
  // Boxes of class kPerson and kVehicle (COCO car, motorcycle, bus, truck).
  Detections run(const cv::Mat& bgr, const DetectorPass& pass) override;
  Detections merge(Detections raw, cv::Size frame) const override;

 private:
  ContextOptions options_;
  std::string what_;
  int size_ = 416;  // the long side of the network input
  std::unique_ptr<OnnxSession> session_;
};

}  // namespace veil

#include "veil/pipeline/frame_analyzer.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/hyperlpr_plate_detector.hpp"
#include "veil/detect/yunet_face_detector.hpp"

#include <opencv2/core.hpp>

#include <future>

namespace veil {

FrameAnalyzer::FrameAnalyzer(const DetectionOptions& options, const ModelStore& store) {
  if (options.targets.count(ObjectClass::kFace)) {
    ResolvedModel m = store.resolve("yunet-face");
    YuNetOptions o;
    if (options.face_threshold) o.score_threshold = *options.face_threshold;
    detectors_.push_back(std::make_unique<YuNetFaceDetector>(m.path, o));
  }
  if (options.targets.count(ObjectClass::kPlate)) {
    ResolvedModel m = store.resolve("hyperlpr3-plate-320");
    PlateOptions o;
    if (options.plate_threshold) o.score_threshold = *options.plate_threshold;
    detectors_.push_back(std::make_unique<HyperLprPlateDetector>(m.path, o));
  }
}

Detections FrameAnalyzer::analyze(const cv::Mat& bgr) {
  // The detectors are independent and each keeps its own network, so they
  // run side by side: cv::dnn alone leaves part of the machine idle.
  auto run = [&bgr](Detector& det) {
    try {
      return det.detect(bgr);
    } catch (const cv::Exception& ex) {
      throw Error(det.name() + " failed on a frame: " + ex.what());
    }
  };
  std::vector<std::future<Detections>> others;
  for (size_t i = 1; i < detectors_.size(); ++i) {
    others.push_back(std::async(std::launch::async, run, std::ref(*detectors_[i])));
  }
  Detections all = detectors_.empty() ? Detections{} : run(*detectors_[0]);
  for (auto& f : others) {
    Detections d = f.get();  // rethrows a detector's failure: fail closed
    all.insert(all.end(), d.begin(), d.end());
  }
  return all;
}

}  // namespace veil

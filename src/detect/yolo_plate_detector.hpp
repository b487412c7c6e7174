#pragma once
// Licence-plate detector on a YOLOv8-style single-class head (Ultralytics):
// output [1, 5, N], per anchor cx, cy, w, h, score, no NMS. Dynamically
// quantised files (ConvInteger) are turned back into float convolutions
// when loading: ONNX Runtime runs them ~8x faster.
#include "detect/tiled_plate_detector.hpp"

namespace veil {

class YoloPlateDetector : public TiledPlateDetector {
 public:
  // Throws veil::Error when the file is missing or is not a one-class
  // YOLOv8 detector with a square input.
  YoloPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options);
  std::string name() const override { return "yolov8-plate"; }
  // The options it runs with by default, as a second plate model beside
  // HyperLPR3 (measured there).
  static PlateOptions default_options();

 protected:
  Detections decode(const TensorView& output, const Letterbox& box) const override;
};

}  // namespace veil

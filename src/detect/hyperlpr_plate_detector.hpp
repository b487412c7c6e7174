#pragma once
// Licence-plate detector built on HyperLPR3's YOLOv5-style model, which
// also regresses the plate's four corners. Output [1, N, 15]: cx, cy, w, h,
// objectness, 8 corner coordinates, 2 class scores (single, double row).
#include "detect/tiled_plate_detector.hpp"

namespace veil {

class HyperLprPlateDetector : public TiledPlateDetector {
 public:
  // The input side comes from the file name ("..._320x..."), unless
  // options.input_size says. Throws veil::Error when the file is missing
  // or is not a HyperLPR3 detector.
  HyperLprPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options);
  std::string name() const override { return "hyperlpr3"; }

 protected:
  Detections decode(const TensorView& output, const Letterbox& box) const override;
};

}  // namespace veil

#pragma once
// Licence-plate detector built on HyperLPR3's YOLOv5-style model, which
// also regresses the plate's four corners; run through cv::dnn.
#include "veil/detect/detector.hpp"

#include <opencv2/dnn.hpp>

#include <filesystem>

namespace veil {

struct PlateOptions {
  // Minimum obj * max(class score). HyperLPR3 itself uses 0.25.
  float score_threshold = 0.25f;
  float nms_iou = 0.5f;
  // Side of the square network input. 0 = take it from the file name
  // ("..._320x..." / "..._640x..."), else 640.
  int input_size = 0;
  // Besides the whole-frame pass, also search tiles of input_size pixels at
  // native resolution when the whole-frame pass shrinks the frame by more
  // than `tile_above` (so 1 = any shrinking, 0 = never tile). Dashcam plates
  // are small and the whole-frame pass halves a 1280-wide frame.
  float tile_above = 0.f;
  // Overlap between neighbouring tiles, as a fraction of the tile side. A
  // plate narrower than the overlap is whole in at least one tile.
  float tile_overlap = 0.25f;
};

class HyperLprPlateDetector : public Detector {
 public:
  // Throws veil::Error when the file is missing or is not a loadable model.
  HyperLprPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options);

  Detections detect(const cv::Mat& bgr) override;
  ObjectClass object_class() const override { return ObjectClass::kPlate; }
  std::string name() const override { return "hyperlpr3"; }

  int input_size() const { return size_; }
  // The regions (frame pixels) detect() searches, whole frame first.
  std::vector<cv::Rect> search_regions(cv::Size frame) const;

 private:
  // Letterboxes `region` of `bgr` into the network, appends plates in frame
  // pixels. In a tile, plates touching an inner tile edge are dropped: they
  // are cut, and whole in the neighbouring tile or the whole-frame pass.
  void run_pass(const cv::Mat& bgr, const cv::Rect& region, Detections* out);

  PlateOptions options_;
  int size_ = 640;
  cv::dnn::Net net_;
};

}  // namespace veil

#pragma once
// Face detector built on YuNet (libfacedetection), run through cv::dnn.
// cv::FaceDetectorYN in OpenCV 4.6 cannot run the 2023mar model, so the
// network outputs are decoded here.
#include "veil/detect/detector.hpp"

#include <opencv2/dnn.hpp>

#include <filesystem>
#include <vector>

namespace veil {

// Defaults measured on shared/data/faces-dev with coverage.py and a 1.3x
// ellipse mask: 94.7% of faces >= 10 px covered, 96.5% of faces >= 20 px,
// 2.8% of the image hidden outside faces.
struct YuNetOptions {
  // Minimum sqrt(cls * obj). Low because a missed face is a leak while a
  // spurious box only hides some background: 0.3 instead of 0.5 covers 4.6
  // points more faces and hides 1.2% more of the image.
  float score_threshold = 0.3f;
  // Large faces are easy for YuNet: a real one scores high, while textures
  // of road, trees and cars produce large low-score boxes. The threshold
  // rises linearly from score_threshold at large_from_height px (box height
  // in the frame) to large_threshold at twice that height.
  float large_from_height = 48.f;
  float large_threshold = 0.6f;
  // Greedy NMS over the merged passes.
  float nms_iou = 0.3f;
  // Resize factors, one network pass each. YuNet rarely finds faces under
  // ~20 px, so an upscaled pass brings 10-20 px faces into its range
  // (native only: 82.8% covered; native + 2x: 94.7%).
  std::vector<float> scales = {1.f, 2.f};
  // Cost cap: a pass whose scaled frame would have more pixels than this is
  // run at the largest scale that fits instead (and skipped when that is
  // within 20% of a smaller pass). 0 = no cap. The 2x pass of a 1280x720
  // frame costs ~4x the native one; 1920 * 1080 makes it a 1.5x pass.
  double max_pass_pixels = 0;
  // YuNet's box starts at the forehead and often ends above the chin, most
  // of all on masked faces (on faces-dev the annotated face centre lies ~10%
  // of the box height below YuNet's). The reported box keeps its top edge
  // and grows down by `extend_bottom` of its height, and grows sideways by
  // `widen` of its width about its centre. 0.1 down: +1.5 points covered,
  // +0.3% of the image hidden.
  float extend_bottom = 0.1f;
  float widen = 0.f;
  // Also run every pass on the mirrored frame: +1.1 points covered, +0.9% of
  // the image hidden, twice the cost.
  bool flip = false;
};

class YuNetFaceDetector : public Detector {
 public:
  // Throws veil::Error when the file is missing or is not a YuNet model.
  YuNetFaceDetector(const std::filesystem::path& model_file, const YuNetOptions& options);

  Detections detect(const cv::Mat& bgr) override;
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "yunet"; }

  // The minimum score for a face box this tall (frame pixels).
  float threshold_for_height(float height) const;
  // The scale factors detect() will use for a frame of this size.
  std::vector<float> pass_scales(cv::Size frame) const;

 private:
  // Runs the network once on `image`, the frame resized by `scale` (x, y)
  // and flipped left-right when `mirrored`, and appends the faces it finds
  // in frame pixels.
  void run_pass(cv::dnn::Net& net, const cv::Mat& image, cv::Point2f scale, bool mirrored,
                Detections* out);

  YuNetOptions options_;
  std::string model_name_;
  std::vector<uchar> model_bytes_;
  // One network per pass: cv::dnn re-plans its buffers whenever the input
  // shape changes, so sharing one net between passes of different sizes
  // would re-plan on every call.
  std::vector<cv::dnn::Net> nets_;
  std::vector<cv::String> output_names_;
};

}  // namespace veil

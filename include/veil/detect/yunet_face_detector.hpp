#pragma once
// Face detector built on YuNet (libfacedetection), run through cv::dnn.
// cv::FaceDetectorYN in OpenCV 4.6 cannot run the 2023mar model, so the
// network outputs are decoded here.
#include "veil/detect/detector.hpp"

#include <opencv2/dnn.hpp>

#include <filesystem>
#include <vector>

namespace veil {

struct YuNetOptions {
  // Minimum sqrt(cls * obj). Low because a missed face is a leak while a
  // spurious box only blurs a little background.
  float score_threshold = 0.5f;
  // Greedy NMS over the merged passes.
  float nms_iou = 0.3f;
  // Resize factors, one network pass each. YuNet rarely finds faces under
  // ~20 px, so an upscaled pass brings 10-20 px faces into its range.
  std::vector<float> scales = {1.f, 2.f};
  // Cost cap: a pass whose scaled frame would have more pixels than this is
  // run at the largest scale that fits instead (and skipped when that
  // duplicates a smaller pass). 0 = no cap.
  double max_pass_pixels = 0;
  // Also run every pass on the mirrored frame: finds some profile faces the
  // model misses one way round, at twice the cost.
  bool flip = false;
};

class YuNetFaceDetector : public Detector {
 public:
  // Throws veil::Error when the file is missing or is not a YuNet model.
  YuNetFaceDetector(const std::filesystem::path& model_file, const YuNetOptions& options);

  Detections detect(const cv::Mat& bgr) override;
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "yunet"; }

  // The scale factors detect() will use for a frame of this size.
  std::vector<float> pass_scales(cv::Size frame) const;

 private:
  // Runs the network once on `image` (already scaled) and appends faces,
  // mapped back to frame pixels by dividing by `scale`.
  // `mirrored` says `image` is flipped left-right.
  void run_pass(cv::dnn::Net& net, const cv::Mat& image, float scale, bool mirrored,
                Detections* out);

  YuNetOptions options_;
  std::vector<uchar> model_bytes_;
  // One network per pass: cv::dnn re-plans its buffers whenever the input
  // shape changes, so sharing one net between passes of different sizes
  // would re-plan on every call.
  std::vector<cv::dnn::Net> nets_;
  std::vector<cv::String> output_names_;
};

}  // namespace veil

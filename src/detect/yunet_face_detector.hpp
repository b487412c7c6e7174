#pragma once
// Face detector family YuNet (libfacedetection), run on ONNX Runtime. The
// model file has a fixed 640x640 input; the detector frees its height and
// width when loading, so one session serves every pass size.
#include "detect/face_detector.hpp"
#include "detect/onnx_session.hpp"

#include <filesystem>

namespace veil {

class YuNetFaceDetector : public FaceDetector {
 public:
  // Throws veil::Error when the file is missing or is not a YuNet model.
  YuNetFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options);
  std::string name() const override { return "yunet"; }

 protected:
  void detect_faces(const cv::Mat& image, Detections* out) override;

 private:
  std::string what_;
  std::vector<std::string> output_names_;  // cls, obj, bbox at strides 8, 16, 32
  OnnxSession session_;
};

}  // namespace veil

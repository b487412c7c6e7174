#pragma once
// Face detector family SCRFD (insightface), run on ONNX Runtime: input of
// any size (multiples of 32), RGB, (x - 127.5) / 128; per stride 8, 16, 32 a
// score ([N, 1], after sigmoid) and a box ([N, 4], distances left, top,
// right, bottom in stride units) for two anchors per cell.
// insightface's pretrained SCRFD weights are for non-commercial research
// only: the manifest marks them so, and Veil runs them only when asked.
#include "detect/face_detector.hpp"
#include "detect/onnx_session.hpp"

#include <filesystem>

namespace veil {

class ScrfdFaceDetector : public FaceDetector {
 public:
  // Throws veil::Error when the file is missing or is not an SCRFD model.
  ScrfdFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options);
  std::string name() const override { return "scrfd"; }

 protected:
  void detect_faces(const cv::Mat& image, Detections* out) override;

 private:
  std::string what_;
  std::vector<std::string> output_names_;  // scores at strides 8, 16, 32, then boxes
  OnnxSession session_;
};

}  // namespace veil

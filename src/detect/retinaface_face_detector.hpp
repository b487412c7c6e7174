#pragma once
// Face detector family RetinaFace (biubug6/Pytorch_Retinaface exports), run
// on ONNX Runtime: input BGR minus the mean (104, 117, 123); outputs
// `output0` (box offsets) and `output1` (softmax background / face) for
// fixed priors: per stride 8, 16, 32, two square priors per cell. The file
// is exported at 640x640; the detector frees the input size when loading,
// and computes the priors for each input size itself.
#include "detect/face_detector.hpp"
#include "detect/onnx_session.hpp"

#include <filesystem>

namespace veil {

class RetinaFaceDetector : public FaceDetector {
 public:
  // Throws veil::Error when the file is missing or is not a RetinaFace model.
  RetinaFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options);
  std::string name() const override { return "retinaface"; }
  // The options it runs with by default (measured on faces-dev).
  static FaceOptions default_options();

 protected:
  void detect_faces(const cv::Mat& image, Detections* out) override;

 private:
  std::string what_;
  OnnxSession session_;
};

}  // namespace veil

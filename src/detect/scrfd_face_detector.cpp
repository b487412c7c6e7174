#include "detect/scrfd_face_detector.hpp"

#include "veil/core/error.hpp"

namespace veil {

namespace {
constexpr int kStrides[3] = {8, 16, 32};
constexpr int kAnchorsPerCell = 2;
}  // namespace

ScrfdFaceDetector::ScrfdFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options)
    : FaceDetector(options),
      what_("face model " + model_file.string()),
      session_(read_model_bytes(model_file.string(), "face model"), what_) {
  // Scores, boxes and keypoints for three strides, in that order.
  const std::vector<std::string>& names = session_.output_names();
  if (names.size() != 9 && names.size() != 6) throw Error(what_ + " is not an SCRFD face detector");
  output_names_.assign(names.begin(), names.begin() + 6);
}

void ScrfdFaceDetector::detect_faces(const cv::Mat& image, Detections* out) {
  const cv::Size padded((image.cols + 31) / 32 * 32, (image.rows + 31) / 32 * 32);
  InputTensor& input = thread_input_tensor();
  image_tensor(image, padded, 1.f / 128, /*swap_rb=*/true, &input, cv::Scalar::all(127.5));
  OnnxSession::Outputs outs = session_.run(input, output_names_);

  for (int level = 0; level < 3; ++level) {
    const int stride = kStrides[level];
    const int cols = padded.width / stride;
    const size_t anchors = size_t(padded.height / stride) * cols * kAnchorsPerCell;
    const TensorView scores = outs[level];
    const TensorView boxes = outs[3 + level];
    if (scores.size() != anchors || boxes.size() != anchors * 4) throw Error(what_ + ": unexpected output size");
    for (size_t i = 0; i < anchors; ++i) {
      const float score = scores.data[i];
      if (score < options().score_threshold) continue;
      // Anchors of one cell are adjacent; the centre is the cell's corner.
      const size_t cell = i / kAnchorsPerCell;
      const float ax = float(cell % cols) * stride, ay = float(cell / cols) * stride;
      const float* d = boxes.data + i * 4;
      Detection face;
      face.score = score;
      face.box = cv::Rect2f(cv::Point2f(ax - d[0] * stride, ay - d[1] * stride),
                            cv::Point2f(ax + d[2] * stride, ay + d[3] * stride));
      out->push_back(std::move(face));
    }
  }
}

}  // namespace veil

#include "detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"

#include <algorithm>
#include <cmath>

namespace veil {

namespace {

constexpr int kStrides[3] = {8, 16, 32};

float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }

std::vector<std::string> head_outputs() {
  std::vector<std::string> names;
  for (const char* level : {"8", "16", "32"}) {
    for (const char* head : {"cls_", "obj_", "bbox_"}) names.push_back(std::string(head) + level);
  }
  return names;
}

}  // namespace

YuNetFaceDetector::YuNetFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options)
    : FaceDetector(options),
      what_("face model " + model_file.string()),
      output_names_(head_outputs()),
      // Free the input size; drop the landmark heads, which Veil does not
      // read. A model without YuNet's outputs fails here.
      session_(read_model_bytes(model_file.string(), "face model"), what_,
               GraphEdit{/*free_image_size=*/true, output_names_}) {}

void YuNetFaceDetector::detect_faces(const cv::Mat& image, Detections* out) {
  // Pad (never stretch) to the multiple of 32 the stride-32 head needs;
  // NCHW, BGR, 0-255 as trained.
  const cv::Size padded((image.cols + 31) / 32 * 32, (image.rows + 31) / 32 * 32);
  InputTensor& input = thread_input_tensor();
  image_tensor(image, padded, 1.f, /*swap_rb=*/false, &input);
  OnnxSession::Outputs outs = session_.run(input, output_names_);

  for (int level = 0; level < 3; ++level) {
    int stride = kStrides[level];
    int cols = padded.width / stride;
    int rows = padded.height / stride;
    size_t cells = size_t(rows) * cols;
    const TensorView cls_out = outs[level * 3 + 0];
    const TensorView obj_out = outs[level * 3 + 1];
    const TensorView reg_out = outs[level * 3 + 2];
    if (cls_out.size() != cells || obj_out.size() != cells || reg_out.size() != cells * 4) {
      throw Error(what_ + ": unexpected output size");
    }
    const float* cls = cls_out.data;
    const float* obj = obj_out.data;
    const float* reg = reg_out.data;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        int idx = r * cols + c;
        // The score is sqrt(cls * obj).
        float score = std::sqrt(clamp01(cls[idx]) * clamp01(obj[idx]));
        if (score < options().score_threshold) continue;
        const float* b = reg + idx * 4;
        float cx = (c + b[0]) * stride;
        float cy = (r + b[1]) * stride;
        float w = std::exp(b[2]) * stride;
        float h = std::exp(b[3]) * stride;
        Detection d;
        d.score = score;
        d.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h);
        out->push_back(std::move(d));
      }
    }
  }
}

}  // namespace veil

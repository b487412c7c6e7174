#include "veil/detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/nms.hpp"
#include "veil/detect/onnx_model.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

namespace veil {

namespace {

constexpr int kStrides[3] = {8, 16, 32};

cv::dnn::Net make_net(const std::vector<uchar>& bytes, const std::string& what) {
  return load_onnx(bytes, "face model " + what);
}

float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }


}  // namespace

YuNetFaceDetector::YuNetFaceDetector(const std::filesystem::path& model_file,
                                     const YuNetOptions& options)
    : options_(options), model_name_(model_file.string()), model_bytes_(read_model_bytes(model_file, "face model")) {
  if (options_.scales.empty()) throw Error("face detector: no scales given");
  for (float s : options_.scales) {
    if (!(s > 0.f)) throw Error("face detector: scales must be positive");
  }
  if (options_.extend_bottom < 0.f || options_.widen < 0.f) {
    throw Error("face detector: extend_bottom and widen must not be negative");
  }
  // Build the first net now so that a corrupt or foreign model fails here,
  // at start-up, and not on the first frame.
  nets_.push_back(make_net(model_bytes_, model_name_));
  for (const char* level : {"8", "16", "32"}) {
    for (const char* head : {"cls_", "obj_", "bbox_"}) output_names_.push_back(std::string(head) + level);
  }
  std::vector<cv::String> have = nets_[0].getUnconnectedOutLayersNames();
  for (const cv::String& want : output_names_) {
    if (std::find(have.begin(), have.end(), want) == have.end()) {
      throw Error("face model " + model_name_ + " is not YuNet (no output " + want + ")");
    }
  }
}

std::vector<float> YuNetFaceDetector::pass_scales(cv::Size frame) const {
  std::vector<float> scales = options_.scales;
  std::sort(scales.begin(), scales.end());
  std::vector<float> out;
  double pixels = double(frame.width) * frame.height;
  for (float s : scales) {
    if (options_.max_pass_pixels > 0 && pixels * s * s > options_.max_pass_pixels) {
      s = float(std::sqrt(options_.max_pass_pixels / pixels));
    }
    // A capped scale close to one already run adds cost and no faces.
    if (!out.empty() && s < out.back() * 1.2f) continue;
    out.push_back(s);
  }
  return out;
}

Detections YuNetFaceDetector::detect(const cv::Mat& input) {
  cv::Mat bgr = as_bgr8(input, "face detector");
  Detections found;
  std::vector<float> scales = pass_scales(bgr.size());
  try {
    for (size_t i = 0; i < scales.size(); ++i) {
      while (nets_.size() <= i) nets_.push_back(make_net(model_bytes_, model_name_));
      float s = scales[i];
      cv::Mat scaled = bgr;
      if (s != 1.f) {
        cv::Size size(std::max(1, int(std::lround(bgr.cols * s))), std::max(1, int(std::lround(bgr.rows * s))));
        cv::resize(bgr, scaled, size, 0, 0, s < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);
      }
      // The exact factors after rounding to whole pixels.
      cv::Point2f scale(float(scaled.cols) / bgr.cols, float(scaled.rows) / bgr.rows);
      run_pass(nets_[i], scaled, scale, false, &found);
      if (options_.flip) {
        cv::Mat mirrored;
        cv::flip(scaled, mirrored, 1);
        run_pass(nets_[i], mirrored, scale, true, &found);
      }
    }
  } catch (const cv::Exception& e) {
    throw Error(std::string("face detector failed: ") + e.what());
  }
  Detections kept = nms(std::move(found), options_.nms_iou);
  cv::Rect2f frame(0.f, 0.f, float(bgr.cols), float(bgr.rows));
  Detections out;
  for (Detection& d : kept) {
    d.box.x -= d.box.width * options_.widen / 2;
    d.box.width *= 1.f + options_.widen;
    d.box.height *= 1.f + options_.extend_bottom;
    // Clip: the padding and the box regression may reach past the frame.
    d.box &= frame;
    if (d.box.width > 0 && d.box.height > 0) out.push_back(std::move(d));
  }
  return out;
}

void YuNetFaceDetector::run_pass(cv::dnn::Net& net, const cv::Mat& image, cv::Point2f scale,
                                 bool mirrored, Detections* out) {
  // Pad (never stretch) to the multiple of 32 the stride-32 head needs.
  int pad_w = (32 - image.cols % 32) % 32;
  int pad_h = (32 - image.rows % 32) % 32;
  cv::Mat padded = image;
  if (pad_w || pad_h) {
    cv::copyMakeBorder(image, padded, 0, pad_h, 0, pad_w, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  }
  net.setInput(cv::dnn::blobFromImage(padded));  // NCHW, BGR, 0-255 as trained
  std::vector<cv::Mat> outs;
  net.forward(outs, output_names_);

  for (int level = 0; level < 3; ++level) {
    int stride = kStrides[level];
    int cols = padded.cols / stride;
    int rows = padded.rows / stride;
    size_t cells = size_t(rows) * cols;
    const cv::Mat& cls_out = outs[level * 3 + 0];
    const cv::Mat& obj_out = outs[level * 3 + 1];
    const cv::Mat& reg_out = outs[level * 3 + 2];
    if (cls_out.total() != cells || obj_out.total() != cells || reg_out.total() != cells * 4) {
      throw Error("face model " + model_name_ + ": unexpected output size");
    }
    const float* cls = cls_out.ptr<float>();
    const float* obj = obj_out.ptr<float>();
    const float* reg = reg_out.ptr<float>();
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        int idx = r * cols + c;
        float score = std::sqrt(clamp01(cls[idx]) * clamp01(obj[idx]));
        if (score < options_.score_threshold) continue;
        const float* b = reg + idx * 4;
        float cx = (c + b[0]) * stride;
        if (mirrored) cx = image.cols - cx;  // back to the unmirrored frame
        float cy = (r + b[1]) * stride;
        float w = std::exp(b[2]) * stride;
        float h = std::exp(b[3]) * stride;
        Detection d;
        d.cls = ObjectClass::kFace;
        d.score = score;
        d.box = cv::Rect2f((cx - w / 2) / scale.x, (cy - h / 2) / scale.y, w / scale.x, h / scale.y);
        if (score < threshold_for_height(d.box.height)) continue;
        out->push_back(std::move(d));
      }
    }
  }
}

float YuNetFaceDetector::threshold_for_height(float height) const {
  const float from = options_.large_from_height;
  if (height <= from || options_.large_threshold <= options_.score_threshold) return options_.score_threshold;
  float t = std::min(1.f, (height - from) / from);
  return options_.score_threshold + t * (options_.large_threshold - options_.score_threshold);
}

}  // namespace veil

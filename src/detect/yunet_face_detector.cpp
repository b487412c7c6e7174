#include "detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"
#include "detect/nms.hpp"
#include "detect/bgr_image.hpp"

#include <opencv2/imgproc.hpp>

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

YuNetFaceDetector::YuNetFaceDetector(const std::filesystem::path& model_file,
                                     const YuNetOptions& options)
    : options_(options),
      model_name_(model_file.string()),
      output_names_(head_outputs()),
      // Free the input size; drop the landmark heads, which Veil does not read.
      session_(read_model_bytes(model_file.string(), "face model"), "face model " + model_file.string(),
               GraphEdit{/*free_image_size=*/true, output_names_}) {
  if (options_.scales.empty()) throw Error("face detector: no scales given");
  for (float s : options_.scales) {
    if (!(s > 0.f)) throw Error("face detector: scales must be positive");
  }
  if (options_.extend_bottom < 0.f || options_.widen < 0.f) {
    throw Error("face detector: extend_bottom and widen must not be negative");
  }
  if (options_.focus_window < 32) throw Error("face detector: focus_window must be at least 32 px");
  if (options_.tile_overlap < 0) throw Error("face detector: tile_overlap must not be negative");
  // A corrupt model, or one without YuNet's outputs, has failed already.
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

std::vector<DetectorPass> YuNetFaceDetector::plan(cv::Size frame) const {
  cv::Rect whole(cv::Point(0, 0), frame);
  std::vector<DetectorPass> out;
  std::vector<float> scales = pass_scales(frame);
  for (size_t i = 0; i < scales.size(); ++i) {
    double pixels = double(frame.width) * frame.height * scales[i] * scales[i];
    if (i == 0 || options_.tile_above_pixels <= 0 || pixels <= options_.tile_above_pixels) {
      out.push_back({whole, scales[i], /*every_frame=*/i == 0});
      continue;
    }
    // The fewest tiles of about tile_above_pixels, in a grid shaped like
    // the frame. All of one size, so that one network shape serves them.
    int n = int(std::ceil(pixels / options_.tile_above_pixels));
    int cols = std::max(1, int(std::lround(std::sqrt(n * double(frame.width) / frame.height))));
    int rows = (n + cols - 1) / cols;
    auto starts = [&](int length, int count, int* side) {
      *side = count > 1 ? std::min(length, (length + count - 1) / count + options_.tile_overlap) : length;
      std::vector<int> at;
      for (int k = 0; k < count; ++k) at.push_back(count > 1 ? int(std::lround(double(k) * (length - *side) / (count - 1))) : 0);
      return at;
    };
    int tile_w = 0, tile_h = 0;
    std::vector<int> xs = starts(frame.width, cols, &tile_w), ys = starts(frame.height, rows, &tile_h);
    for (int y : ys) {
      for (int x : xs) out.push_back({cv::Rect(x, y, tile_w, tile_h) & whole, scales[i], false});
    }
  }
  return out;
}

std::vector<DetectorPass> YuNetFaceDetector::focus(cv::Size frame, const Detections& expected) const {
  std::vector<float> scales = pass_scales(frame);
  if (scales.size() < 2) return {};
  std::vector<cv::Rect2f> small;
  for (const Detection& d : expected) {
    if (d.cls == ObjectClass::kFace && d.box.height < options_.focus_below) small.push_back(d.box);
  }
  std::vector<DetectorPass> out;
  // A 4 px margin: the face must not touch the window's edge.
  for (const cv::Rect& window : windows_around(frame, small, options_.focus_window, 4.f)) {
    out.push_back({window, scales.back(), true});
  }
  return out;
}

Detections YuNetFaceDetector::run(const cv::Mat& input, const DetectorPass& pass) {
  cv::Mat bgr = as_bgr8(input, "face detector");
  Detections found;
  try {
    cv::Mat region = bgr(pass.region);
    cv::Mat scaled = region;
    if (pass.scale != 1.f) {
      cv::Size size(std::max(1, int(std::lround(region.cols * pass.scale))),
                    std::max(1, int(std::lround(region.rows * pass.scale))));
      cv::resize(region, scaled, size, 0, 0, pass.scale < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    run_network(scaled, bgr.size(), pass, false, &found);
    if (options_.flip) {
      cv::Mat mirrored;
      cv::flip(scaled, mirrored, 1);
      run_network(mirrored, bgr.size(), pass, true, &found);
    }
  } catch (const cv::Exception& e) {  // resize, flip, padding
    throw Error(std::string("face detector failed: ") + e.what());
  }
  return found;
}

Detections YuNetFaceDetector::merge(Detections raw, cv::Size frame_size) const {
  Detections kept = nms(std::move(raw), options_.nms_iou);
  cv::Rect2f frame(0.f, 0.f, float(frame_size.width), float(frame_size.height));
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

void YuNetFaceDetector::run_network(const cv::Mat& image, cv::Size frame, const DetectorPass& pass,
                                    bool mirrored, Detections* out) {
  // Pad (never stretch) to the multiple of 32 the stride-32 head needs;
  // NCHW, BGR, 0-255 as trained.
  const cv::Size padded((image.cols + 31) / 32 * 32, (image.rows + 31) / 32 * 32);
  thread_local InputTensor input;
  image_tensor(image, padded, 1.f, /*swap_rb=*/false, &input);
  OnnxSession::Outputs outs = session_.run(input, output_names_);

  // The exact factors after rounding to whole pixels.
  const cv::Rect& region = pass.region;
  cv::Point2f scale(float(image.cols) / region.width, float(image.rows) / region.height);
  // A face touching an edge of a tile or focus window that is inside the
  // frame was cut by it: it is whole in the neighbouring tile, or, for a
  // window, is not the face the window is for.
  const float margin = 2.f;
  auto cut = [&](const cv::Rect2f& box) {
    return (region.x > 0 && box.x < region.x + margin) || (region.y > 0 && box.y < region.y + margin) ||
           (region.br().x < frame.width && box.br().x > region.br().x - margin) ||
           (region.br().y < frame.height && box.br().y > region.br().y - margin);
  };
  for (int level = 0; level < 3; ++level) {
    int stride = kStrides[level];
    int cols = padded.width / stride;
    int rows = padded.height / stride;
    size_t cells = size_t(rows) * cols;
    const TensorView cls_out = outs[level * 3 + 0];
    const TensorView obj_out = outs[level * 3 + 1];
    const TensorView reg_out = outs[level * 3 + 2];
    if (cls_out.size() != cells || obj_out.size() != cells || reg_out.size() != cells * 4) {
      throw Error("face model " + model_name_ + ": unexpected output size");
    }
    const float* cls = cls_out.data;
    const float* obj = obj_out.data;
    const float* reg = reg_out.data;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        int idx = r * cols + c;
        float score = std::sqrt(clamp01(cls[idx]) * clamp01(obj[idx]));
        if (score < options_.score_threshold) continue;
        const float* b = reg + idx * 4;
        float cx = (c + b[0]) * stride;
        if (mirrored) cx = image.cols - cx;  // back to the unmirrored region
        float cy = (r + b[1]) * stride;
        float w = std::exp(b[2]) * stride;
        float h = std::exp(b[3]) * stride;
        Detection d;
        d.cls = ObjectClass::kFace;
        d.score = score;
        d.box = cv::Rect2f((cx - w / 2) / scale.x + region.x, (cy - h / 2) / scale.y + region.y,
                           w / scale.x, h / scale.y);
        if (score < threshold_for_height(d.box.height)) continue;
        if (cut(d.box)) continue;
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

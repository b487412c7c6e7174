#include "detect/scene_context_detector.hpp"

#include "detect/bgr_image.hpp"
#include "detect/nms.hpp"
#include "veil/core/error.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

namespace {

constexpr int kClasses = 80;
constexpr int kRow = 5 + kClasses;  // cx cy w h objectness, then class scores
constexpr int kStrides[] = {8, 16, 32};
// COCO class indices.
constexpr int kPersonClass = 0;
constexpr int kVehicleClasses[] = {2, 3, 5, 7};  // car, motorcycle, bus, truck

constexpr int kLargestStride = 32;

// A scaled image's network input: its size rounded up to the largest stride.
cv::Size network_input(cv::Size scaled) {
  auto up = [](int n) { return (n + kLargestStride - 1) / kLargestStride * kLargestStride; };
  return {up(scaled.width), up(scaled.height)};
}

int64_t anchors_for(cv::Size input) {
  int64_t n = 0;
  for (int s : kStrides) n += int64_t(input.width / s) * (input.height / s);
  return n;
}

}  // namespace

SceneContextDetector::SceneContextDetector(const std::filesystem::path& model_file, const ContextOptions& options)
    : options_(options), what_("context model " + model_file.string()) {
  // YOLOX is fully convolutional: freed, it takes a frame's own shape
  // (416x256 for 16:9) instead of a square with a third of it padding.
  session_ = std::make_unique<OnnxSession>(read_model_bytes(model_file.string(), "context model"), what_,
                                           GraphEdit{/*free_image_size=*/true, {}});
  // The size it was exported at is the long side it sees.
  const std::vector<int64_t>& in = session_->exported_input_shape();
  if (in.size() != 4 || in[2] <= 0 || in[2] != in[3] || in[2] % kLargestStride != 0) {
    throw Error(what_ + " does not take a square image");
  }
  size_ = int(in[2]);
  // A model of another kind fails now, not mid-video.
  const cv::Size input = network_input({size_, size_ * 9 / 16});
  InputTensor blank{std::vector<float>(size_t(3) * input.area(), 114.f), {1, 3, input.height, input.width}};
  const std::vector<int64_t> shape = session_->run(blank, {session_->output_names().at(0)})[0].shape;
  if (shape.size() != 3 || shape[1] != anchors_for(input) || shape[2] != kRow) {
    throw Error(what_ + " is not a YOLOX detector of the 80 COCO classes");
  }
}

std::vector<DetectorPass> SceneContextDetector::plan(cv::Size frame) const {
  return {{cv::Rect(cv::Point(0, 0), frame), float(size_) / float(std::max(frame.width, frame.height)), true}};
}

Detections SceneContextDetector::run(const cv::Mat& input, const DetectorPass& pass) {
  cv::Mat bgr = as_bgr8(input, "context detector");
  const cv::Rect& region = pass.region;
  const float r = std::min(pass.scale, float(size_) / float(std::max(region.width, region.height)));
  const int w = std::clamp(int(std::lround(region.width * r)), 1, size_);
  const int h = std::clamp(int(std::lround(region.height * r)), 1, size_);
  const float rx = float(w) / float(region.width), ry = float(h) / float(region.height);
  const cv::Size network = network_input({w, h});
  thread_local InputTensor tensor;
  try {
    // As YOLOX was trained: BGR 0-255, the image at the top left, grey 114 around it.
    cv::Mat boxed(network, CV_8UC3, cv::Scalar::all(114));
    cv::resize(bgr(region), boxed(cv::Rect(0, 0, w, h)), cv::Size(w, h), 0, 0,
               r < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);
    image_tensor(boxed, boxed.size(), 1.f, /*swap_rb=*/false, &tensor);
  } catch (const cv::Exception& e) {
    throw Error(what_ + ": " + e.what());
  }
  OnnxSession::Outputs outs = session_->run(tensor, {session_->output_names().at(0)});
  const TensorView pred = outs[0];
  if (pred.shape.size() != 3 || pred.shape[1] != anchors_for(network) || pred.shape[2] != kRow) {
    throw Error(what_ + ": unexpected output shape");
  }
  const cv::Rect2f frame(0.f, 0.f, float(bgr.cols), float(bgr.rows));
  Detections found;
  const float* row = pred.data;
  for (int stride : kStrides) {
    const int rows = network.height / stride, cols = network.width / stride;
    for (int gy = 0; gy < rows; ++gy) {
      for (int gx = 0; gx < cols; ++gx, row += kRow) {
        const float objectness = row[4];
        if (objectness < options_.score_threshold) continue;  // no class can reach it
        float vehicle = 0.f;
        for (int c : kVehicleClasses) vehicle = std::max(vehicle, row[5 + c]);
        const float person = row[5 + kPersonClass];
        const bool is_person = person >= vehicle;
        const float score = objectness * std::max(person, vehicle);
        if (score < options_.score_threshold) continue;
        const float cx = (row[0] + float(gx)) * float(stride), cy = (row[1] + float(gy)) * float(stride);
        const float bw = std::exp(row[2]) * float(stride), bh = std::exp(row[3]) * float(stride);
        Detection d;
        d.cls = is_person ? ObjectClass::kPerson : ObjectClass::kVehicle;
        d.score = score;
        d.box = cv::Rect2f(region.x + (cx - bw / 2) / rx, region.y + (cy - bh / 2) / ry, bw / rx, bh / ry) & frame;
        if (d.box.width > 0.f && d.box.height > 0.f) found.push_back(std::move(d));
      }
    }
  }
  return found;
}

Detections SceneContextDetector::merge(Detections raw, cv::Size /*frame*/) const {
  return nms(std::move(raw), options_.nms_iou);
}

}  // namespace veil

#include "detect/hyperlpr_plate_detector.hpp"

#include "veil/core/error.hpp"
#include "detect/nms.hpp"
#include "detect/bgr_image.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>

namespace veil {

namespace {

// Row layout of the [1, N, 15] output.
constexpr int kRow = 15;
constexpr int kObj = 4;
constexpr int kCorners = 5;  // x0 y0 .. x3 y3
constexpr int kClasses = 13; // single-row, double-row plate


int size_from_name(const std::filesystem::path& file) {
  std::smatch m;
  std::string name = file.filename().string();
  if (std::regex_search(name, m, std::regex("_(320|640)x"))) return std::stoi(m[1]);
  return 640;
}


// Puts four points in the order Detection promises: clockwise (in image
// coordinates, y down) starting from the top-left one. The model's own order
// follows its training labels and is not guaranteed on tilted plates.
std::vector<cv::Point2f> order_corners(std::vector<cv::Point2f> p) {
  cv::Point2f c = (p[0] + p[1] + p[2] + p[3]) * 0.25f;
  // With y pointing down, increasing atan2 runs clockwise on screen.
  std::sort(p.begin(), p.end(), [&](const cv::Point2f& a, const cv::Point2f& b) {
    return std::atan2(a.y - c.y, a.x - c.x) < std::atan2(b.y - c.y, b.x - c.x);
  });
  auto top_left = std::min_element(p.begin(), p.end(), [](const cv::Point2f& a, const cv::Point2f& b) {
    return a.x + a.y < b.x + b.y;
  });
  std::rotate(p.begin(), top_left, p.end());
  return p;
}

// Start offsets of `n` windows of length `tile` spread evenly over `length`.
std::vector<int> tile_starts(int length, int tile, float overlap) {
  if (length <= tile) return {0};
  int step = std::max(1, int(tile * (1.f - overlap)));
  int n = 1 + (length - tile + step - 1) / step;
  std::vector<int> starts;
  for (int i = 0; i < n; ++i) starts.push_back(int(std::lround(double(i) * (length - tile) / (n - 1))));
  return starts;
}

}  // namespace

HyperLprPlateDetector::HyperLprPlateDetector(const std::filesystem::path& model_file,
                                             const PlateOptions& options)
    : options_(options) {
  if (options_.frame_fits.empty()) throw Error("plate detector: no whole-frame pass");
  for (float f : options_.frame_fits) {
    if (!(f > 0.f && f <= 1.f)) throw Error("plate detector: frame_fits must be in (0, 1]");
  }
  if (!(options_.tile_scale > 0.f)) throw Error("plate detector: tile_scale must be positive");
  if (!(options_.tile_overlap >= 0.f && options_.tile_overlap < 1.f)) {
    throw Error("plate detector: tile_overlap must be in [0, 1)");
  }
  size_ = options_.input_size > 0 ? options_.input_size : size_from_name(model_file);
  const std::string what = "plate model " + model_file.string();
  session_ = std::make_unique<OnnxSession>(read_model_bytes(model_file.string(), "plate model"), what);
  const std::vector<int64_t>& in = session_->input_shape();
  if ((in[2] > 0 && in[2] != size_) || (in[3] > 0 && in[3] != size_)) {
    throw Error(what + " takes " + std::to_string(in[3]) + "x" + std::to_string(in[2]) + " inputs, not " +
                std::to_string(size_) + "x" + std::to_string(size_));
  }
  // One dry run so that a model of another kind fails now, not mid-video.
  InputTensor blank{std::vector<float>(size_t(3) * size_ * size_, 0.f), {1, 3, size_, size_}};
  OnnxSession::Outputs out = session_->run(blank, {session_->output_names().at(0)});
  if (out[0].shape.size() != 3 || out[0].shape[2] != kRow) throw Error(what + " is not a HyperLPR3 detector");
}

std::vector<DetectorPass> HyperLprPlateDetector::plan(cv::Size frame) const {
  cv::Rect whole(cv::Point(0, 0), frame);
  float longer = float(std::max(frame.width, frame.height));
  std::vector<DetectorPass> out;
  for (size_t i = 0; i < options_.frame_fits.size(); ++i) {
    out.push_back({whole, options_.frame_fits[i] * size_ / longer, /*every_frame=*/i == 0});
  }
  float shrink = longer / (size_ * options_.frame_fits[0]);
  if (options_.tile_above <= 0.f || shrink <= options_.tile_above) return out;
  int side = int(std::lround(size_ / options_.tile_scale));
  for (int y : tile_starts(frame.height, side, options_.tile_overlap)) {
    for (int x : tile_starts(frame.width, side, options_.tile_overlap)) {
      out.push_back({cv::Rect(x, y, side, side) & whole, options_.tile_scale, false});
    }
  }
  return out;
}

std::vector<DetectorPass> HyperLprPlateDetector::focus(cv::Size frame, const Detections& expected) const {
  const float whole_scale = options_.frame_fits[0] * size_ / float(std::max(frame.width, frame.height));
  std::vector<cv::Rect2f> small;
  for (const Detection& d : expected) {
    if (d.cls == ObjectClass::kPlate && d.box.width * whole_scale < options_.focus_below) small.push_back(d.box);
  }
  std::vector<DetectorPass> out;
  const int side = int(std::lround(size_ / options_.tile_scale));
  for (const cv::Rect& tile : windows_around(frame, small, side, 8.f)) out.push_back({tile, options_.tile_scale, true});
  return out;
}

Detections HyperLprPlateDetector::merge(Detections raw, cv::Size /*frame*/) const {
  return nms(std::move(raw), options_.nms_iou);
}

Detections HyperLprPlateDetector::run(const cv::Mat& input, const DetectorPass& pass) {
  cv::Mat bgr = as_bgr8(input, "plate detector");
  try {
    return run_network(bgr, pass);
  } catch (const cv::Exception& e) {  // resize
    throw Error(std::string("plate detector failed: ") + e.what());
  }
}

Detections HyperLprPlateDetector::run_network(const cv::Mat& bgr, const DetectorPass& pass) {
  // Letterbox: scale, centre, pad with black as HyperLPR3 does.
  const cv::Rect& region = pass.region;
  float r = std::min(pass.scale, float(size_) / std::max(region.width, region.height));
  int w = std::clamp(int(std::lround(region.width * r)), 1, size_);
  int h = std::clamp(int(std::lround(region.height * r)), 1, size_);
  // The exact factors after rounding to whole pixels.
  float rx = float(w) / region.width;
  float ry = float(h) / region.height;
  int left = (size_ - w) / 2;
  int top = (size_ - h) / 2;
  cv::Mat boxed(size_, size_, CV_8UC3, cv::Scalar::all(0));
  cv::resize(bgr(region), boxed(cv::Rect(left, top, w, h)), cv::Size(w, h), 0, 0,
             r < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);  // fills the ROI in place
  // RGB, 0-1 as trained.
  thread_local InputTensor input;
  image_tensor(boxed, boxed.size(), 1.f / 255, /*swap_rb=*/true, &input);
  OnnxSession::Outputs outs = session_->run(input, {session_->output_names().at(0)});
  const TensorView pred = outs[0];
  if (pred.shape.size() != 3 || pred.shape[2] != kRow) throw Error("plate model: unexpected output shape");
  Detections found;
  Detections* out = &found;

  // Edges of this region that are inside the frame: a plate touching one
  // of them was cut by the tiling.
  cv::Rect frame(0, 0, bgr.cols, bgr.rows);
  bool is_tile = region != frame;
  const float margin = 2.f;

  auto to_frame = [&](float x, float y) {
    return cv::Point2f((x - left) / rx + region.x, (y - top) / ry + region.y);
  };
  const int64_t n = pred.shape[1];
  const float* row = pred.data;
  for (int64_t i = 0; i < n; ++i, row += kRow) {
    float score = row[kObj] * std::max(row[kClasses], row[kClasses + 1]);
    if (score < options_.score_threshold) continue;
    Detection d;
    d.cls = ObjectClass::kPlate;
    d.score = score;
    cv::Point2f tl = to_frame(row[0] - row[2] / 2, row[1] - row[3] / 2);
    cv::Point2f br = to_frame(row[0] + row[2] / 2, row[1] + row[3] / 2);
    std::vector<cv::Point2f> corners;
    for (int k = 0; k < 4; ++k) corners.push_back(to_frame(row[kCorners + 2 * k], row[kCorners + 2 * k + 1]));
    d.corners = order_corners(corners);
    // The box covers both the regressed box and the corners, so a redactor
    // that only uses the box still hides the whole plate.
    cv::Rect2f box(tl, br);
    box |= cv::Rect2f(cv::boundingRect(d.corners));
    d.box = box & cv::Rect2f(0.f, 0.f, float(bgr.cols), float(bgr.rows));
    if (d.box.width <= 0 || d.box.height <= 0) continue;
    if (is_tile) {
      bool cut = (region.x > 0 && d.box.x < region.x + margin) ||
                 (region.y > 0 && d.box.y < region.y + margin) ||
                 (region.br().x < bgr.cols && d.box.br().x > region.br().x - margin) ||
                 (region.br().y < bgr.rows && d.box.br().y > region.br().y - margin);
      if (cut) continue;
    }
    for (cv::Point2f& p : d.corners) {
      p.x = std::clamp(p.x, 0.f, float(bgr.cols));
      p.y = std::clamp(p.y, 0.f, float(bgr.rows));
    }
    out->push_back(std::move(d));
  }
  return found;
}

}  // namespace veil

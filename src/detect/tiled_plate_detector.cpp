#include "detect/tiled_plate_detector.hpp"

#include "detect/bgr_image.hpp"
#include "detect/pass_rules.hpp"
#include "detect/nms.hpp"
#include "veil/core/error.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

namespace {

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

TiledPlateDetector::TiledPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options,
                                       const std::string& kind, const GraphEdit& edit, int default_size, float pad)
    : options_(options), what_(kind + " " + model_file.string()), pad_(pad) {
  for (float f : options_.frame_fits) {
    if (!(f > 0.f && f <= 1.f)) throw Error("plate detector: frame_fits must be in (0, 1]");
  }
  if (!(options_.tile_scale > 0.f)) throw Error("plate detector: tile_scale must be positive");
  if (!(options_.tile_overlap >= 0.f && options_.tile_overlap < 1.f) ||
      !(options_.tile_overlap_rows >= 0.f && options_.tile_overlap_rows < 1.f)) {
    throw Error("plate detector: tile_overlap and tile_overlap_rows must be in [0, 1)");
  }
  GraphEdit precise = edit;
  precise.int8 = options_.precision.int8;
  precise.record = options_.precision.record;
  session_ = std::make_unique<OnnxSession>(read_model_bytes(model_file.string(), kind), what_, precise);
  const std::vector<int64_t>& in = session_->input_shape();
  size_ = options_.input_size > 0 ? options_.input_size : in[2] > 0 ? int(in[2]) : default_size;
  if ((in[2] > 0 && in[2] != size_) || (in[3] > 0 && in[3] != size_)) {
    throw Error(what_ + " takes " + std::to_string(in[3]) + "x" + std::to_string(in[2]) + " inputs, not " +
                std::to_string(size_) + "x" + std::to_string(size_));
  }
}

std::vector<int64_t> TiledPlateDetector::blank_output_shape() const {
  InputTensor blank{std::vector<float>(size_t(3) * size_ * size_, 0.f), {1, 3, size_, size_}};
  return session_->run(blank, {session_->output_names().at(0)})[0].shape;
}

std::vector<DetectorPass> TiledPlateDetector::plan(cv::Size frame) const {
  cv::Rect whole(cv::Point(0, 0), frame);
  float longer = float(std::max(frame.width, frame.height));
  std::vector<DetectorPass> out;
  for (size_t i = 0; i < options_.frame_fits.size(); ++i) {
    out.push_back({whole, options_.frame_fits[i] * size_ / longer, i == 0 && options_.whole_frame_every_frame});
  }
  // Without whole-frame passes the tiles always run (on a frame no larger
  // than a tile, one tile is the whole frame).
  if (!options_.frame_fits.empty()) {
    float shrink = longer / (size_ * options_.frame_fits[0]);
    if (options_.tile_above <= 0.f || shrink <= options_.tile_above) return out;
  }
  int side = int(std::lround(size_ / options_.tile_scale));
  for (int y : tile_starts(frame.height, side, options_.tile_overlap_rows)) {
    for (int x : tile_starts(frame.width, side, options_.tile_overlap)) {
      out.push_back({cv::Rect(x, y, side, side) & whole, options_.tile_scale, false});
    }
  }
  return out;
}

std::vector<DetectorPass> TiledPlateDetector::focus(cv::Size frame, const Detections& expected) const {
  const float fit = options_.frame_fits.empty() ? 1.f : options_.frame_fits[0];
  const float whole_scale = fit * size_ / float(std::max(frame.width, frame.height));
  std::vector<cv::Rect2f> small;
  for (const Detection& d : expected) {
    if (d.cls == ObjectClass::kPlate && d.box.width * whole_scale < options_.focus_below) small.push_back(d.box);
  }
  std::vector<DetectorPass> out;
  const int side = int(std::lround(size_ / options_.tile_scale));
  for (const cv::Rect& tile : windows_around(frame, small, side, 8.f)) out.push_back({tile, options_.tile_scale, true});
  return out;
}

bool TiledPlateDetector::plausible(const cv::Rect2f& box, cv::Size frame) const {
  if (box.width <= 0 || box.height <= 0) return false;
  if (box.width < options_.min_aspect * box.height || box.width > options_.max_aspect * box.height) return false;
  if (box.width > options_.max_frame_width * frame.width) return false;
  if (box.height > options_.max_frame_height * frame.height) return false;
  const cv::Rect2f inside = box & cv::Rect2f(0.f, 0.f, float(frame.width), float(frame.height));
  return inside.area() >= options_.min_inside * box.area();
}

float TiledPlateDetector::threshold_for_height(float height) const {
  const float from = options_.large_from_height, to = options_.large_to_height;
  if (to <= from || height <= from || options_.large_threshold <= options_.score_threshold) {
    return options_.score_threshold;
  }
  const float t = std::min(1.f, (height - from) / (to - from));
  return options_.score_threshold + t * (options_.large_threshold - options_.score_threshold);
}

Detections TiledPlateDetector::merge(Detections raw, cv::Size /*frame*/) const {
  return nms(std::move(raw), options_.nms_iou);
}

Detections TiledPlateDetector::run(const cv::Mat& input, const DetectorPass& pass) {
  cv::Mat bgr = as_bgr8(input, "plate detector");
  // Letterbox: scale, centre, pad.
  Letterbox lb;
  lb.region = pass.region;
  const cv::Rect& region = pass.region;
  float r = std::min(pass.scale, float(size_) / std::max(region.width, region.height));
  int w = std::clamp(int(std::lround(region.width * r)), 1, size_);
  int h = std::clamp(int(std::lround(region.height * r)), 1, size_);
  // The exact factors after rounding to whole pixels.
  lb.rx = float(w) / region.width;
  lb.ry = float(h) / region.height;
  lb.left = (size_ - w) / 2;
  lb.top = (size_ - h) / 2;
  thread_local InputTensor tensor;
  try {
    cv::Mat boxed(size_, size_, CV_8UC3, cv::Scalar::all(pad_));
    cv::resize(bgr(region), boxed(cv::Rect(lb.left, lb.top, w, h)), cv::Size(w, h), 0, 0,
               r < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);  // fills the ROI in place
    // RGB, 0-1, as both families were trained.
    image_tensor(boxed, boxed.size(), 1.f / 255, /*swap_rb=*/true, &tensor);
  } catch (const cv::Exception& e) {
    throw Error(what_ + ": " + e.what());
  }
  OnnxSession::Outputs outs = session_->run(tensor, {session_->output_names().at(0)});
  Detections candidates = decode(outs[0], lb);

  const cv::Rect frame(0, 0, bgr.cols, bgr.rows);
  Detections found;
  for (Detection& d : candidates) {
    // Before clipping: the box's own shape and size.
    if (!plausible(d.box, frame.size()) || d.score < threshold_for_height(d.box.height)) continue;
    d.box &= cv::Rect2f(0.f, 0.f, float(bgr.cols), float(bgr.rows));
    if (d.box.width <= 0 || d.box.height <= 0) continue;
    // A plate touching an inner edge of a tile was cut by the tiling.
    if (cut_by_region(d.box, region, frame.size(), /*margin=*/2.f)) continue;
    for (cv::Point2f& p : d.corners) {
      p.x = std::clamp(p.x, 0.f, float(bgr.cols));
      p.y = std::clamp(p.y, 0.f, float(bgr.rows));
    }
    found.push_back(std::move(d));
  }
  return found;
}

}  // namespace veil

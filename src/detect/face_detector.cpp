#include "detect/face_detector.hpp"

#include "veil/core/error.hpp"
#include "detect/bgr_image.hpp"
#include "detect/nms.hpp"
#include "detect/pass_rules.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

FaceDetector::FaceDetector(const FaceOptions& options) : options_(options) {
  if (options_.scales.empty()) throw Error("face detector: no scales given");
  for (float s : options_.scales) {
    if (!(s > 0.f)) throw Error("face detector: scales must be positive");
  }
  if (options_.extend_bottom < 0.f || options_.widen < 0.f || options_.shift_down < 0.f) {
    throw Error("face detector: extend_bottom, shift_down and widen must not be negative");
  }
  if (options_.focus_window < 32) throw Error("face detector: focus_window must be at least 32 px");
  if (options_.tile_overlap < 0) throw Error("face detector: tile_overlap must not be negative");
  if (options_.tile_above_pixels > 0 && !(options_.tile_pixels > 0)) {
    throw Error("face detector: tile_pixels must be positive");
  }
}

std::vector<float> FaceDetector::pass_scales(cv::Size frame) const {
  std::vector<float> scales = options_.scales;
  std::sort(scales.begin(), scales.end());
  const double pixels = double(frame.width) * frame.height;
  // A frame larger than every_frame_pixels: its every-frame pass shrinks,
  // and the largest scale alone looks for the small faces.
  if (options_.every_frame_pixels > 0 && pixels * scales.front() * scales.front() > options_.every_frame_pixels) {
    const float every = float(std::sqrt(options_.every_frame_pixels / pixels));
    std::vector<float> ladder{every};
    if (scales.back() > scales.front()) ladder.push_back(scales.back());
    scales = ladder;
  }
  std::vector<float> out;
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

std::vector<DetectorPass> FaceDetector::plan(cv::Size frame) const {
  cv::Rect whole(cv::Point(0, 0), frame);
  std::vector<DetectorPass> out;
  std::vector<float> scales = pass_scales(frame);
  for (size_t i = 0; i < scales.size(); ++i) {
    double pixels = double(frame.width) * frame.height * scales[i] * scales[i];
    if (i == 0 || options_.tile_above_pixels <= 0 || pixels <= options_.tile_above_pixels) {
      out.push_back({whole, scales[i], /*every_frame=*/i == 0});
      continue;
    }
    // The fewest tiles of about tile_pixels, in a grid shaped like
    // the frame. All of one size, so that one network shape serves them.
    int n = int(std::ceil(pixels / std::min(options_.tile_pixels, options_.tile_above_pixels)));
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

std::vector<DetectorPass> FaceDetector::focus(cv::Size frame, const Detections& expected) const {
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
  // Where the every-frame pass is shrunk (1080p: 0.4x), faces too large for
  // those windows but under focus_below in that pass's network pixels get
  // a window of their own at native scale, as large in proportion.
  const float every = scales.front();
  if (every < 1.f) {
    std::vector<cv::Rect2f> middle;
    for (const Detection& d : expected) {
      if (d.cls == ObjectClass::kFace && d.box.height >= options_.focus_below &&
          d.box.height * every < options_.focus_below) {
        middle.push_back(d.box);
      }
    }
    const int side = int(std::lround(options_.focus_window / every));
    for (const cv::Rect& window : windows_around(frame, middle, side, 4.f)) out.push_back({window, 1.f, true});
  }
  return out;
}

Detections FaceDetector::run(const cv::Mat& input, const DetectorPass& pass) {
  cv::Mat bgr = as_bgr8(input, "face detector");
  Detections found;
  try {
    cv::Mat region = bgr(pass.region);
    cv::Mat scaled = region;
    if (pass.scale != 1.f) {
      cv::Size size(std::max(1, int(std::lround(region.cols * pass.scale))),
                    std::max(1, int(std::lround(region.rows * pass.scale))));
      // Down to half size, bilinear reads every pixel already, at a fifth
      // of INTER_AREA's time (0.6 against 2.7 ms for 960x540 to 768x432,
      // twice per frame); below half it would skip pixels.
      cv::resize(region, scaled, size, 0, 0, pass.scale < 0.5f ? cv::INTER_AREA : cv::INTER_LINEAR);
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

Detections FaceDetector::merge(Detections raw, cv::Size frame_size) const {
  Detections kept = nms(std::move(raw), options_.nms_iou);
  cv::Rect2f frame(0.f, 0.f, float(frame_size.width), float(frame_size.height));
  Detections out;
  for (Detection& d : kept) {
    d.box.x -= d.box.width * options_.widen / 2;
    d.box.width *= 1.f + options_.widen;
    d.box.height *= 1.f + options_.extend_bottom;
    d.box.y += options_.shift_down * d.box.height;
    // Clip: the padding and the box regression may reach past the frame.
    d.box &= frame;
    if (d.box.width > 0 && d.box.height > 0) out.push_back(std::move(d));
  }
  return out;
}

void FaceDetector::run_network(const cv::Mat& image, cv::Size frame, const DetectorPass& pass, bool mirrored,
                               Detections* out) {
  Detections faces;
  detect_faces(image, &faces);
  // The exact factors after rounding to whole pixels.
  const cv::Rect& region = pass.region;
  cv::Point2f scale(float(image.cols) / region.width, float(image.rows) / region.height);
  for (Detection& d : faces) {
    cv::Rect2f b = d.box;
    if (mirrored) b.x = image.cols - b.x - b.width;  // back to the unmirrored region
    d.cls = ObjectClass::kFace;
    d.box = cv::Rect2f(b.x / scale.x + region.x, b.y / scale.y + region.y, b.width / scale.x, b.height / scale.y);
    if (d.score < threshold_for_height(d.box.height)) continue;
    if (cut_by_region(d.box, region, frame, /*margin=*/2.f)) continue;
    out->push_back(std::move(d));
  }
}

float FaceDetector::threshold_for_height(float height) const {
  const float from = options_.large_from_height;
  if (height <= from || options_.large_threshold <= options_.score_threshold) return options_.score_threshold;
  float t = std::min(1.f, (height - from) / from);
  return options_.score_threshold + t * (options_.large_threshold - options_.score_threshold);
}

}  // namespace veil

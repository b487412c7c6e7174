#include "track/tracker.hpp"

#include "detect/nms.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <tuple>

namespace veil {

namespace {

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

float larger_side(const cv::Rect2f& r) { return std::max(r.width, r.height); }

// Limits a velocity to `limit` pixels per frame. One wrong association (two
// faces swapping boxes) must not fling the track across the frame.
cv::Point2f clamp_speed(cv::Point2f v, float limit) {
  float speed = std::hypot(v.x, v.y);
  if (speed <= limit || speed == 0.f) return v;
  return v * (limit / speed);
}

}  // namespace

Detection extrapolate(const Detection& seen, cv::Point2f velocity, cv::Point2f size_velocity,
                      float frames, float growth) {
  const cv::Rect2f& b = seen.box;
  float w0 = std::max(b.width, 1.f);
  float h0 = std::max(b.height, 1.f);
  cv::Point2f c0 = centre(b);
  cv::Point2f c = c0 + velocity * frames;
  float w = std::clamp(b.width + size_velocity.x * frames, 0.5f * w0, 2.f * w0);
  float h = std::clamp(b.height + size_velocity.y * frames, 0.5f * h0, 2.f * h0);
  float g = 1.f + growth * std::abs(frames);
  w *= g;
  h *= g;

  // Every point of the object (corners, each model's box) keeps its place
  // relative to the box as the box moves and scales.
  auto move = [&](cv::Point2f p) { return c + cv::Point2f((p.x - c0.x) * (w / w0), (p.y - c0.y) * (h / h0)); };
  Detection d = seen;
  d.box = cv::Rect2f(c.x - w / 2, c.y - h / 2, w, h);
  for (auto& p : d.corners) p = move(p);
  for (Sighting& s : d.found_by) {
    s.box = cv::Rect2f(move(s.box.tl()), move(s.box.br()));
    for (auto& p : s.corners) p = move(p);
  }
  d.predicted = true;
  return d;
}

Tracker::Tracker(TrackerOptions options) : options_(options) {}

cv::Rect2f Tracker::predicted_box(const Track& t) const {
  return extrapolate(t.last, t.velocity, t.size_velocity, float(t.misses + 1), 0.f).box;
}

Detections Tracker::expected(int frames_ahead) const {
  Detections out;
  for (const Track& t : tracks_) {
    float ahead = float(t.misses + std::max(1, frames_ahead));
    Detection d = extrapolate(t.last, t.velocity, t.size_velocity, ahead, options_.growth_per_frame);
    d.track_id = t.id;
    d.predicted = true;
    out.push_back(std::move(d));
  }
  return out;
}

float Tracker::match_score(const Track& t, const Detection& d) const {
  if (t.cls != d.cls) return -1.f;
  cv::Rect2f p = predicted_box(t);
  float overlap = iou(p, d.box);
  // Any IoU match beats any distance-only match.
  if (overlap >= options_.match_iou) return 1.f + overlap;

  float pa = std::max(p.area(), 1.f);
  float da = std::max(d.box.area(), 1.f);
  float ratio = std::sqrt(da / pa);
  if (ratio < 0.5f || ratio > 2.f) return -1.f;  // a different object that happens to be near
  float scale = std::max({larger_side(p), larger_side(d.box), 1.f});
  float dist = cv::norm(centre(p) - centre(d.box)) / scale;
  // The longer a track has been lost, the less sure we are where it is.
  float tolerance = options_.match_distance * (1.f + options_.growth_per_frame * float(t.misses));
  if (dist > tolerance) return -1.f;
  return 1.f - dist / tolerance;  // in [0, 1]
}

namespace {

// The box `model` gave the object in detection `d`, if it found it there.
std::optional<cv::Rect2f> box_by(const Detection& d, const std::string& model) {
  if (d.found_by.empty()) return d.model == model ? std::optional(d.box) : std::nullopt;
  for (const Sighting& s : d.found_by) {
    if (s.model == model) return s.box;
  }
  return std::nullopt;
}

// Two boxes of the object, then and now, from one model where one model
// found it both times: models place their boxes a little differently, and
// a fused object's leading box changes hands between them, which read as
// motion would throw the prediction off.
std::pair<cv::Rect2f, cv::Rect2f> same_model_boxes(const Detection& then, const Detection& now) {
  std::vector<std::string> models{now.model};
  for (const Sighting& s : now.found_by) models.push_back(s.model);
  for (const std::string& m : models) {
    const auto a = box_by(then, m), b = box_by(now, m);
    if (a && b) return {*a, *b};
  }
  return {then.box, now.box};
}

}  // namespace

void Tracker::observe(Track& t, const Detection& d) {
  float dt = float(t.misses + 1);
  const auto [then, now] = same_model_boxes(t.last, d);
  cv::Point2f v = (centre(now) - centre(then)) / dt;
  cv::Point2f sv((now.width - then.width) / dt, (now.height - then.height) / dt);
  if (t.hits == 1) {
    // Second sighting: the first estimate there is.
    t.velocity = v;
    t.size_velocity = sv;
  } else {
    float a = options_.velocity_smoothing;
    t.velocity = a * v + (1.f - a) * t.velocity;
    t.size_velocity = a * sv + (1.f - a) * t.size_velocity;
  }
  // Faster than the matching gate lets a new track move is more likely a
  // wrong association than real motion.
  float limit = std::max(options_.match_distance, 1.f) * std::max(larger_side(d.box), 1.f);
  t.velocity = clamp_speed(t.velocity, limit);
  t.size_velocity = clamp_speed(t.size_velocity, 0.25f * std::max(larger_side(d.box), 1.f));
  t.last = d;
  t.hits++;
  t.misses = 0;
}

Detections Tracker::update(const Detections& found, cv::Size frame_size) {
  const std::int64_t frame = frame_count_++;

  // Greedy assignment, best pair first. With a handful of objects per frame
  // this is as good as Hungarian in practice and far simpler.
  std::vector<std::tuple<float, size_t, size_t>> pairs;  // score, track, detection
  for (size_t ti = 0; ti < tracks_.size(); ++ti) {
    for (size_t di = 0; di < found.size(); ++di) {
      float s = match_score(tracks_[ti], found[di]);
      if (s >= 0.f) pairs.emplace_back(s, ti, di);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });

  std::vector<int> track_of(found.size(), -1);
  std::vector<bool> track_taken(tracks_.size(), false);
  for (const auto& [score, ti, di] : pairs) {
    if (track_taken[ti] || track_of[di] >= 0) continue;
    track_taken[ti] = true;
    track_of[di] = int(ti);
  }

  Detections out = found;
  for (size_t di = 0; di < found.size(); ++di) {
    out[di].predicted = false;
    if (track_of[di] >= 0) {
      Track& t = tracks_[size_t(track_of[di])];
      cv::Rect2f expected = predicted_box(t);
      out[di].track_id = t.id;
      observe(t, out[di]);  // the track follows the detector's own box
      if (options_.cover_prediction && iou(expected, found[di].box) >= options_.match_iou) out[di].box |= expected;
    }
  }

  // Tracks that were not found this frame: predict, or let them go.
  std::vector<Track> alive;
  alive.reserve(tracks_.size() + found.size());
  const cv::Rect2f frame_rect(0.f, 0.f, float(frame_size.width), float(frame_size.height));
  for (size_t ti = 0; ti < tracks_.size(); ++ti) {
    Track& t = tracks_[ti];
    if (!track_taken[ti]) {
      t.misses++;
      int gap = t.hits > 1 ? options_.max_gap : std::min(options_.max_gap, options_.max_gap_single_hit);
      if (t.misses > gap) continue;
      Detection p = extrapolate(t.last, t.velocity, t.size_velocity, float(t.misses), options_.growth_per_frame);
      if (!frame_size.empty() && (p.box & frame_rect).area() <= 0.f) continue;
      // Not clipped to the frame: the redactor draws an ellipse inscribed in
      // the box, and clipping would pull that ellipse off the visible part.
      out.push_back(p);
    }
    alive.push_back(std::move(t));
  }

  for (size_t di = 0; di < found.size(); ++di) {
    if (track_of[di] >= 0) continue;
    Track t;
    t.id = next_id_++;
    t.cls = found[di].cls;
    out[di].track_id = t.id;
    t.last = out[di];
    t.hits = 1;
    t.first_frame = frame;
    alive.push_back(std::move(t));
  }
  tracks_ = std::move(alive);
  return out;
}

}  // namespace veil

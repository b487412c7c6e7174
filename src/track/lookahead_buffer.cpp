#include "track/lookahead_buffer.hpp"

#include <algorithm>
#include <limits>

namespace veil {

namespace {

// A back-fill is a duplicate when another box of the same class already
// covers most of where the object is thought to be. The test is on the
// ungrown box: the grown one is deliberately larger than any detection.
constexpr float kCoveredFraction = 0.8f;

bool covers(const Detection& d, const Detection& core) {
  if (d.cls != core.cls) return false;
  float area = core.box.area();
  return area > 0.f && (d.box & core.box).area() >= kCoveredFraction * area;
}

}  // namespace

LookaheadBuffer::LookaheadBuffer(LookaheadOptions options)
    : options_(options), tracker_(options.tracker) {}

LookaheadBuffer::Output LookaheadBuffer::push(Frame frame, Detections found) {
  Slot slot;
  slot.number = tracker_.frame_count();
  slot.own = tracker_.update(found, frame.image.size());
  slot.frame = std::move(frame);
  slots_.push_back(std::move(slot));

  // Back-fill before releasing, so that a track born now also reaches the
  // frame `window` back, which is about to go.
  for (const Track& t : tracker_.tracks()) {
    if (t.misses == 0 && t.hits <= options_.refine_hits) backfill(t);
  }
  return release(size_t(std::max(options_.window, 0)));
}

std::vector<std::int64_t> LookaheadBuffer::held_indices() const {
  std::vector<std::int64_t> out;
  out.reserve(slots_.size());
  for (const Slot& s : slots_) out.push_back(s.frame.index);
  return out;
}

LookaheadBuffer::Output LookaheadBuffer::flush() {
  Output out = release(0);
  tracker_ = Tracker(options_.tracker);
  return out;
}

void LookaheadBuffer::backfill(const Track& track) {
  // Extrapolate from the first sighting, the one closest to the frames being
  // filled; its slot is still held whenever any earlier frame is.
  const Detection* birth = nullptr;
  for (const Slot& s : slots_) {
    if (s.number != track.first_frame) continue;
    for (const Detection& d : s.own) {
      if (d.track_id == track.id && !d.predicted) birth = &d;
    }
  }
  if (!birth) return;
  // One sighting gives no motion yet: stay put and rely on the growth.
  cv::Point2f v, sv;
  if (track.hits > 1) {
    v = track.velocity;
    sv = track.size_velocity;
  }
  const float growth = options_.tracker.growth_per_frame;

  // Until a second sighting confirms it, a track may be a false positive:
  // reach back only as far as it would be held forward.
  const std::int64_t reach = track.hits > 1 ? std::numeric_limits<std::int64_t>::max()
                                            : std::int64_t(options_.tracker.max_gap_single_hit);
  for (Slot& s : slots_) {
    if (s.number >= track.first_frame) break;
    if (track.first_frame - s.number > reach) continue;
    s.backfill.erase(track.id);
    float back = float(s.number - track.first_frame);  // negative
    Detection core = extrapolate(*birth, v, sv, back, 0.f);
    cv::Size size = s.frame.image.size();
    if (!size.empty() && (core.box & cv::Rect2f(0.f, 0.f, float(size.width), float(size.height))).area() <= 0.f) {
      continue;  // it had not entered the frame yet
    }
    bool duplicate = std::any_of(s.own.begin(), s.own.end(), [&](const Detection& d) { return covers(d, core); });
    for (const auto& [id, d] : s.backfill) duplicate = duplicate || covers(d, core);
    if (duplicate) continue;
    Detection d = extrapolate(*birth, v, sv, back, growth);
    d.track_id = track.id;
    s.backfill[track.id] = std::move(d);
  }
}

LookaheadBuffer::Output LookaheadBuffer::release(size_t keep) {
  Output out;
  while (slots_.size() > keep) {
    Slot& s = slots_.front();
    Detections dets = std::move(s.own);
    for (auto& [id, d] : s.backfill) dets.push_back(std::move(d));
    out.emplace_back(std::move(s.frame), std::move(dets));
    slots_.pop_front();
  }
  return out;
}

}  // namespace veil

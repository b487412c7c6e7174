#pragma once
// Follows detected objects from frame to frame so that a frame where the
// detector misses an object (detectors flicker) still hides it: a track that
// was seen recently is hidden along its predicted motion for up to
// `max_gap` frames. In the spirit of SORT / ByteTrack, but with no minimum
// number of hits before a track counts: every detection is returned, since a
// missed face is a leak while a spurious box only blurs some background.
#include "veil/core/detection.hpp"
#include "veil/track/tracking_options.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace veil {


// What the tracker knows about one object.
struct Track {
  int id = 0;
  ObjectClass cls = ObjectClass::kFace;
  Detection last;            // the last real detection of it (box, corners, score)
  cv::Point2f velocity;      // of the box centre, pixels per frame
  cv::Point2f size_velocity; // of width and height, pixels per frame
  int hits = 0;              // frames in which a detector found it
  int misses = 0;            // frames since it was last found
  std::int64_t first_frame = 0;  // update() number of the first sighting
};

// `seen` moved by `frames` frames along the given motion (negative = back
// in time) and grown by `growth` per frame of distance. Plate corners and
// each model's box (found_by) follow the same move and scale. The width and
// height stay within a factor 2 of `seen`'s so that a noisy size velocity
// cannot collapse or blow up the box.
Detection extrapolate(const Detection& seen, cv::Point2f velocity, cv::Point2f size_velocity,
                      float frames, float growth);

class Tracker {
 public:
  explicit Tracker(TrackerOptions options);

  // Called once per frame, in order. Returns `found`, each with a track_id,
  // followed by one predicted detection for every track that was not found
  // in this frame but was within the last max_gap frames. `frame_size`, when
  // not empty, ends tracks whose predicted box has left the frame entirely.
  Detections update(const Detections& found, cv::Size frame_size = {});

  // Where each live track is expected `frames_ahead` frames after the last
  // update() (1: the next frame): its predicted box, grown for the frames
  // since it was last seen.
  Detections expected(int frames_ahead = 1) const;

  // The live tracks after the last update().
  const std::vector<Track>& tracks() const { return tracks_; }
  // Number of update() calls so far; the last one was frame frame_count()-1.
  std::int64_t frame_count() const { return frame_count_; }
  const TrackerOptions& options() const { return options_; }

 private:
  // Where `t` is expected in the current frame (not grown).
  cv::Rect2f predicted_box(const Track& t) const;
  // How well detection `d` continues track `t`; negative when it does not.
  float match_score(const Track& t, const Detection& d) const;
  void observe(Track& t, const Detection& d);

  TrackerOptions options_;
  std::vector<Track> tracks_;
  std::int64_t frame_count_ = 0;
  int next_id_ = 1;
};

}  // namespace veil

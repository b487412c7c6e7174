#pragma once
// Follows detected objects from frame to frame so that a frame where the
// detector misses an object (detectors flicker) still hides it: a track that
// was seen recently is hidden along its predicted motion for up to
// `max_gap` frames. In the spirit of SORT / ByteTrack, but with no minimum
// number of hits before a track counts: every detection is returned, since a
// missed face is a leak while a spurious box only blurs some background.
#include "veil/core/detection.hpp"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace veil {

struct TrackerOptions {
  // A detection continues a track when its box overlaps the track's
  // predicted box by at least this IoU. Low, because a face box jitters and
  // the prediction is rough.
  float match_iou = 0.2f;
  // Fallback for small, fast objects whose boxes no longer overlap from one
  // frame to the next: the centres may be this many box sizes apart (the
  // larger side of the bigger box), if the sizes are within a factor 2.
  // This matters most for a track's second sighting, before its velocity is
  // known: a 15 px face passing close to the camera moves more than its own
  // width per frame.
  float match_distance = 1.5f;
  // Frames a lost track keeps being hidden along its predicted motion. At
  // 30 fps, a third of a second: long enough to bridge the usual detector
  // dropouts, short enough that the prediction has not drifted far.
  int max_gap = 10;
  // A track seen in one frame only is more often a detector false positive
  // than a face: it is kept for at most this many frames (still enough to
  // bridge a one- or two-frame dropout).
  int max_gap_single_hit = 3;
  // Weight of the newest measured velocity against the running estimate
  // (exponential smoothing). Box centres jitter by a pixel or two, so a
  // single frame-to-frame difference is too noisy to extrapolate from.
  float velocity_smoothing = 0.5f;
  // A predicted box is grown by this fraction of its size per frame of
  // distance from the last real sighting: the motion model is only
  // approximate and the error grows with every extrapolated frame.
  float growth_per_frame = 0.05f;
  // A matched detection also hides where the track's motion predicted the
  // object (the union of both boxes, when they overlap by match_iou):
  // detector boxes jitter from frame to frame, and one frame's box coming
  // out small or shifted must not uncover part of a face.
  bool cover_prediction = true;
};

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
// in time) and grown by `growth` per frame of distance. Plate corners follow
// the same move and scale. The width and height stay within a factor 2 of
// `seen`'s so that a noisy size velocity cannot collapse or blow up the box.
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

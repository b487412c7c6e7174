#pragma once
// How Veil follows objects over time (see src/track/tracker.hpp and
// lookahead_buffer.hpp): the options a user of AnonymizeOptions sets.
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

struct LookaheadOptions {
  // Frames held back before they are released for redaction (0 = no delay;
  // tracking and gap filling still run). 8 frames is about a quarter second
  // at 30 fps, which covers the usual late first detection, and costs 8
  // decoded frames of memory (about 50 MB at 1080p).
  int window = 8;
  TrackerOptions tracker;
  // Back-filled boxes are recomputed with the track's velocity until the
  // track has this many hits; from the third sighting on the velocity is
  // smoothed enough, and older frames are mostly released anyway.
  int refine_hits = 3;
};

}  // namespace veil

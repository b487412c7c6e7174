#pragma once
// The pipeline stage between detection and redaction that makes hiding
// consistent over time. It tracks objects (see tracker.hpp) so that frames
// where the detector flickers still hide them, and it holds back a short
// window of frames: a face is usually first detected a few frames after it
// became visible, so when a track is born its position is also hidden,
// extrapolated backwards, in the frames still held.
#include "track/tracker.hpp"
#include "veil/core/detection.hpp"
#include "veil/core/frame.hpp"
#include "veil/track/tracking_options.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

namespace veil {


class LookaheadBuffer {
 public:
  using Output = std::vector<std::pair<Frame, Detections>>;

  explicit LookaheadBuffer(LookaheadOptions options);

  // Takes the next frame and what the detectors found in it. Returns the
  // frames now ready for redaction, oldest first, each with its final
  // detections: its own (with track ids), the tracker's predictions, and
  // boxes back-filled from tracks born in later frames.
  Output push(Frame frame, Detections found);

  // At the end of the input: returns every frame still held, oldest first,
  // and forgets all tracks so that the next push starts a new input.
  Output flush();

  // Releases the oldest frames now, before the window is full, until at
  // most `keep` are held (live streams: a frame whose deadline has come
  // leaves with the look-ahead it had so far). Tracks are kept.
  Output release_early(size_t keep) { return release(keep); }

  // Where the tracked objects are expected `frames_ahead` frames after the
  // last one pushed.
  Detections expected(int frames_ahead = 1) const { return tracker_.expected(frames_ahead); }

  // Frames held now; at most `window` between calls.
  size_t buffered() const { return slots_.size(); }
  // Frame::index of each frame held, oldest first.
  std::vector<std::int64_t> held_indices() const;

 private:
  struct Slot {
    Frame frame;
    std::int64_t number = 0;  // the tracker's frame number
    Detections own;           // the tracker's output for this frame
    // Boxes extrapolated backwards from tracks born later, by track id, so
    // that a later refinement replaces them.
    std::map<int, Detection> backfill;
  };

  // Hides `track` in the held frames before its first sighting.
  void backfill(const Track& track);
  // Releases the oldest frames until `keep` are left.
  Output release(size_t keep);

  LookaheadOptions options_;
  Tracker tracker_;
  std::deque<Slot> slots_;
};

}  // namespace veil

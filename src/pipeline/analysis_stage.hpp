#pragma once
// Detection for a stream of frames: runs the detectors on each frame and,
// for video, follows objects across frames so that short detector misses
// and late first detections are still hidden. Frames come out in order,
// each once, possibly a few frames after they went in. Shared by
// `anonymize` and `eval`, so eval measures exactly what anonymize hides.
#include "track/lookahead_buffer.hpp"
#include "veil/core/frame.hpp"
#include "veil/pipeline/frame_analyzer.hpp"

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <vector>

namespace veil {

struct AnalyzedFrame {
  Frame frame;
  Detections detections;  // the faces and plates to hide, tracked
  Detections context;     // people and vehicles seen in this frame (never hidden)
};

class AnalysisStage {
 public:
  // `tracking`: none analyses each frame on its own (no delay, no tracks).
  // `sweep_frames` > 1 (with tracking only) spreads the detectors' fine
  // passes over that many consecutive frames, the tracker holding what they
  // found in between; pass 1 for a still image, which has no next frame.
  // `frames_in_flight` > 1 lets that many frames be analysed at once (see
  // FrameAnalyzer::submit); each frame's result is the same whatever the
  // threads' timing.
  AnalysisStage(FrameAnalyzer& analyzer, const std::optional<LookaheadOptions>& tracking, int sweep_frames = 1,
                int frames_in_flight = 1);
  // Waits for the frames still being analysed, which are dropped.
  ~AnalysisStage();
  // Analyses `frame`; returns the frames whose detections are final.
  // Throws veil::Error when a frame cannot be analysed.
  std::vector<AnalyzedFrame> push(Frame frame);
  // At the end of the input: the frames still held back.
  std::vector<AnalyzedFrame> flush();

  // For live streams, where nothing may wait on a slow frame: submit()
  // queues a frame without waiting (the caller keeps in_flight() within its
  // budget), poll() passes on the frames whose analysis is done, oldest
  // first, and release_through() lets held frames up to `index` (Frame::index)
  // leave the look-ahead now. Each returns the frames whose detections are
  // final, as push() does. Throws veil::Error as push().
  void submit(Frame frame);
  std::vector<AnalyzedFrame> poll();
  std::vector<AnalyzedFrame> release_through(std::int64_t index);
  size_t in_flight() const { return in_flight_.size(); }
  // Changes the sweep (see the constructor) from the next frame on.
  void set_sweep_frames(int sweep_frames);
  // Frames whose image is only for detection (Frame::image_approximate)
  // leave it behind once analysed: redaction takes their pixels from the
  // decoded picture, and the look-ahead then holds no BGR copies (50 MB at
  // 1080p). For anonymize; eval reads the images it scores.
  void release_images_after_analysis() { release_images_ = true; }
  // Lighter detection from the next frame on (live streams falling behind;
  // see SweepStep): only the first model of each class, and/or no fine
  // passes.
  void set_lighter(bool primary_only, bool no_fine) {
    primary_only_ = primary_only;
    no_fine_ = no_fine;
  }

 private:
  struct InFlight {
    Frame frame;
    std::future<Detections> found;
  };
  // Waits for the oldest frame in flight and passes it on.
  std::vector<AnalyzedFrame> finish_oldest();
  std::vector<AnalyzedFrame> convert(LookaheadBuffer::Output ready);

  FrameAnalyzer& analyzer_;
  std::optional<LookaheadBuffer> lookahead_;
  int sweep_frames_ = 1;
  bool primary_only_ = false, no_fine_ = false;
  bool release_images_ = false;
  size_t frames_in_flight_ = 1;
  std::int64_t pushed_ = 0;
  std::deque<InFlight> in_flight_;
  // Context boxes of the frames the lookahead buffer holds, by frame index:
  // the tracker follows only what is hidden.
  std::map<std::int64_t, Detections> held_context_;
};

}  // namespace veil

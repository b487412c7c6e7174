#pragma once
// Anonymizes a live stream as it arrives: reads any URL FFmpeg opens (rtsp,
// srt, udp, tcp, http, rtmp, hls), writes a stream URL or an HLS playlist,
// and keeps every frame's delay under a bound the user sets.
//
// The contract, in order of importance:
//  1. No frame leaves unanalysed. A frame whose analysis cannot finish in
//     time leaves hidden whole (heavily blurred, or filled), and is counted.
//  2. Latency is bounded: each frame is written within `latency` of its
//     arrival (plus the time to encode it). The look-ahead shrinks to fit.
//  3. Input loss is survived: the input is reopened with back-off, and the
//     output goes on where it stopped (its timeline continues; the gap is
//     reported, not shown).
// veil::request_stop() (Ctrl-C, SIGTERM) ends the run cleanly: the frames
// already read are written and the output is closed properly (an HLS
// playlist gets its end tag).
#include "veil/pipeline/anonymizer.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace veil {

// What to do when detection cannot keep up with the stream.
enum class BehindPolicy {
  // First lighten the work (spread the fine passes, those for small and
  // distant objects, over more frames), then hide whole frames.
  kLighten,
  // Keep every pass; hide whole the frames that cannot be analysed in time.
  kHide,
};

struct LiveOptions {
  // The most a frame may wait between arriving and leaving.
  double latency_seconds = 2.0;
  BehindPolicy when_behind = BehindPolicy::kLighten;
  // No frame for this long: the input is lost; it is reopened.
  double stall_seconds = 2.0;
  // Input lost for this long: the run ends (output closed, an error
  // reported). 0: keep trying until stopped.
  double give_up_seconds = 0;
  // Demuxer and protocol options of the input (rtsp_transport=tcp, ...).
  std::vector<std::pair<std::string, std::string>> input_options;
  // A JSON Lines file that gets the status once a second and the events
  // (input lost, reconnected, end); none: no file.
  std::optional<std::string> stats_path;
};

// The figures of the status line and of each --stats record.
struct LiveStatus {
  double seconds = 0;            // since the run started
  double fps_in = 0, fps_out = 0;  // over the last interval
  double latency_mean = 0, latency_max = 0;  // seconds, frames written in the last interval
  std::int64_t frames_in = 0, frames_out = 0;  // since the start
  std::int64_t hidden_whole = 0;  // frames written hidden whole, since the start
  std::int64_t reconnects = 0;
  int sweep_frames = 0;  // the sweep now (more than asked when lightened)
  // How far detection is lightened now (0: the whole line-up; 4 at most)
  // and what that leaves out, e.g. "secondary models" ("" at 0).
  int lighter = 0;
  std::string dropped;
  bool input_connected = false;
};

struct LiveStats {
  LiveStatus last;
  double latency_max = 0;  // the largest delay of any frame written
  double gap_seconds = 0;  // time the input was lost, in total
  std::map<ObjectClass, std::int64_t> detections;  // found by a detector, in frames written analysed
  std::optional<std::string> failure;  // why the run ended, when not by a stop request
};

class LiveAnonymizer {
 public:
  // Loads the models. Throws veil::Error for invalid options.
  LiveAnonymizer(AnonymizeOptions options, LiveOptions live, const ModelStore& store);

  // Runs until veil::request_stop(), or until the input is lost for longer
  // than give_up_seconds (then LiveStats::failure says why). `on_status`
  // (may be empty) gets the status once a second, on the calling thread.
  // Throws veil::Error when the output cannot be opened or written, or when
  // the input cannot be opened at all the first time (a wrong URL, a
  // refused connection); a listener input waiting for its first data is not
  // an error.
  LiveStats run(const std::string& input, const std::string& output,
                const std::function<void(const LiveStatus&)>& on_status = {});

 private:
  AnonymizeOptions options_;
  LiveOptions live_;
  FrameAnalyzer analyzer_;
  Redactor redactor_;
};

}  // namespace veil

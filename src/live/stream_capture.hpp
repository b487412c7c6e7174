#pragma once
// The reading end of a live run: a thread that opens the input, decodes its
// frames as they arrive (stamping each with its arrival time), and when the
// input is lost (no frame for a while, an error, the end of the stream)
// reopens it with back-off. The rest of the pipeline takes frames from its
// queue and never waits on the network.
#include "io/video_source.hpp"
#include "live/timeline.hpp"
#include "veil/core/frame.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern "C" {
#include <libavutil/rational.h>
}

namespace veil {

using LiveClock = std::chrono::steady_clock;

struct CapturedFrame {
  Frame frame;  // pts on the output timeline (LiveTimeline); index counts from 0 per connection
  std::int64_t connection = 0;  // 0 for the first, +1 for each reconnection
  LiveClock::time_point arrival;
};

// What to do with a new connection, decided when it opens.
struct ConnectionPlan {
  AVRational output_time_base{1, 1};  // of the output's video (the same for every connection)
  // For each of this connection's streams: the first connection's stream
  // whose copy in the output its packets feed, or -1 (not copied).
  std::vector<int> copy_to;
};

struct CaptureEvent {
  enum Kind { kConnected, kLost, kReconnected } kind;
  LiveClock::time_point when;
  std::string message;  // kLost: why; kConnected/kReconnected: the input's description
  double gap_seconds = 0;  // kReconnected: how long the input was lost
};

struct CaptureOptions {
  std::vector<std::pair<std::string, std::string>> input_options;
  double stall_seconds = 2.0;   // no frame for this long: lost
  double give_up_seconds = 0;   // lost for this long: fail (0: never)
  size_t max_queued = 64;       // the reader waits while this many frames wait
};

class StreamCapture {
 public:
  // Called on the capture thread when a connection is open, before its
  // first frame is read; an exception from it ends the capture with that
  // failure.
  using OnConnected = std::function<ConnectionPlan(VideoSource& source)>;
  // Gets the packets of copied streams (audio, subtitles, data) on the
  // capture thread, timestamps moved onto the output timeline (in
  // `time_base`), `first_stream` as in ConnectionPlan::copy_to. Packets
  // from before a connection's first video frame are dropped.
  using OnCopied = std::function<void(AVPacket* pkt, int first_stream, AVRational time_base)>;

  // Starts the thread.
  StreamCapture(std::string url, CaptureOptions options, OnConnected on_connected, OnCopied on_copied = {});
  // Stops and joins the thread.
  ~StreamCapture();
  StreamCapture(const StreamCapture&) = delete;
  StreamCapture& operator=(const StreamCapture&) = delete;

  // The next frame, waiting up to `timeout`; none when none came in time or
  // the capture has ended. Any one thread.
  std::optional<CapturedFrame> next(std::chrono::milliseconds timeout);
  // What happened since the last call, oldest first.
  std::vector<CaptureEvent> take_events();
  // True once the thread has stopped and every frame was taken.
  bool ended();
  // Why the capture ended, when it did not end by stop(): the first open
  // failed outright, the input stayed lost for give_up_seconds, or
  // OnConnected threw.
  std::optional<std::string> failure();
  bool connected();
  std::int64_t reconnects();
  // Asks the thread to stop; a blocking network call is interrupted.
  void stop();

 private:
  void run();
  void read_connection(VideoSource& source, std::int64_t connection, const ConnectionPlan& plan);
  bool interrupt();  // FFmpeg's interrupt callback
  void push_event(CaptureEvent event);
  bool sleep_for(double seconds);  // false when stopped meanwhile

  const std::string url_;
  const CaptureOptions options_;
  OnConnected on_connected_;
  OnCopied on_copied_;
  std::optional<LiveTimeline> timeline_;  // capture thread only; from the first connection

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<CapturedFrame> frames_;
  std::vector<CaptureEvent> events_;
  std::optional<std::string> failure_;
  bool stopping_ = false;
  bool finished_ = false;
  bool connected_ = false;
  std::int64_t reconnects_ = 0;

  // The interrupt callback's state. FFmpeg calls the callback from its own
  // threads too (the UDP receive thread), hence atomics.
  std::atomic<LiveClock::rep> last_activity_{0};  // LiveClock ticks
  std::atomic<double> wait_limit_{0};
  std::atomic<bool> timed_out_{false};
  void touch() { last_activity_ = LiveClock::now().time_since_epoch().count(); }

  std::thread thread_;  // last: starts once the rest is set up
};

}  // namespace veil

#include "live/stream_capture.hpp"

#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

extern "C" {
#include <libavformat/avformat.h>
}

namespace veil {

namespace {
double seconds_between(LiveClock::time_point a, LiveClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

StreamCapture::StreamCapture(std::string url, CaptureOptions options, OnConnected on_connected, OnCopied on_copied)
    : url_(std::move(url)),
      options_(std::move(options)),
      on_connected_(std::move(on_connected)),
      on_copied_(std::move(on_copied)) {
  thread_ = std::thread([this] { run(); });
}

StreamCapture::~StreamCapture() {
  stop();
  thread_.join();
}

void StreamCapture::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  changed_.notify_all();
}

bool StreamCapture::interrupt() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return true;
  }
  if (stop_requested()) return true;
  const LiveClock::time_point last{LiveClock::duration(last_activity_.load())};
  if (seconds_between(last, LiveClock::now()) > wait_limit_.load()) {
    timed_out_ = true;
    return true;
  }
  return false;
}

void StreamCapture::push_event(CaptureEvent event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(std::move(event));
}

bool StreamCapture::sleep_for(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stopping_ || stop_requested(); });
  return !stopping_ && !stop_requested();
}

void StreamCapture::run() {
  std::int64_t connection = 0;
  double backoff = 0.25;
  bool lost = false;  // since lost_since, with no connection since
  LiveClock::time_point lost_since{};
  auto stopping = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_ || stop_requested();
  };
  auto fail = [&](std::string why) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::move(why);
  };

  spdlog::info("{}: opening the stream", url_);
  while (!stopping()) {
    std::string lost_why;
    bool opened = false, handed = false;
    timed_out_ = false;
    try {
      // Opening may wait for a first packet (a listener, a UDP port) and
      // then probes the streams: give it longer than a stall.
      touch();
      wait_limit_ = options_.stall_seconds + 5.0;
      StreamOpenOptions open;
      open.options = options_.input_options;
      open.interrupt = [this] { return interrupt(); };
      VideoSource source(url_, open);
      opened = true;
      const ConnectionPlan plan = on_connected_(source);
      if (!timeline_) timeline_.emplace(plan.output_time_base);
      handed = true;
      const auto now = LiveClock::now();
      if (lost) {
        push_event({CaptureEvent::kReconnected, now, url_, seconds_between(lost_since, now)});
      } else {
        push_event({CaptureEvent::kConnected, now, url_, 0});
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        connected_ = true;
        if (lost) ++reconnects_;
      }
      lost = false;
      backoff = 0.25;
      read_connection(source, connection, plan);
      lost_why = "the stream ended";
    } catch (const std::exception& ex) {
      lost_why = ex.what();
      if (!opened && connection == 0 && !timed_out_ && !stopping()) {
        // A wrong URL, a refused connection, an unknown option: waiting
        // will not mend it.
        fail(lost_why);
        break;
      }
      if (opened && !handed) {
        // on_connected failed (the output cannot be opened).
        fail(lost_why);
        break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      connected_ = false;
    }
    if (stopping()) break;
    if (timed_out_) lost_why = "no frame for " + fmt::format("{:.1f}", options_.stall_seconds) + " s";
    const auto now = LiveClock::now();
    if (!lost) {
      lost = true;
      lost_since = now;
      if (opened || connection > 0) {
        spdlog::warn("{}: input lost ({}); reconnecting", url_, lost_why);
        push_event({CaptureEvent::kLost, now, lost_why, 0});
      } else {
        spdlog::info("{}: waiting for the stream ({})", url_, lost_why);
      }
    }
    if (opened) ++connection;
    if (options_.give_up_seconds > 0 && seconds_between(lost_since, now) > options_.give_up_seconds) {
      fail(fmt::format("{}: input lost for more than {:.0f} s ({})", url_, options_.give_up_seconds, lost_why));
      break;
    }
    if (!sleep_for(backoff)) break;
    backoff = std::min(backoff * 2, 4.0);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

void StreamCapture::read_connection(VideoSource& source, std::int64_t connection, const ConnectionPlan& plan) {
  AVFormatContext* ic = source.format_context();
  const AVStream* st = ic->streams[source.video_stream_index()];
  const AVRational fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  const double nominal = fps.num > 0 && fps.den > 0 ? av_q2d(av_inv_q(fps)) : 0.0;
  wait_limit_ = options_.stall_seconds;
  touch();
  source.prefer_fast_image();
  const bool copies = on_copied_ && std::any_of(plan.copy_to.begin(), plan.copy_to.end(), [](int i) { return i >= 0; });
  if (copies) {
    source.set_passthrough([&](AVPacket* pkt) {
      const int in = pkt->stream_index;
      if (in < 0 || in >= int(plan.copy_to.size()) || plan.copy_to[in] < 0) return;
      double offset = 0;
      if (!timeline_->offset(connection, offset)) return;  // before the first frame
      const AVRational tb = ic->streams[in]->time_base;
      const std::int64_t shift = std::llround(offset / av_q2d(tb));
      if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += shift;
      if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += shift;
      if ((pkt->pts != AV_NOPTS_VALUE && pkt->pts < 0) || (pkt->dts != AV_NOPTS_VALUE && pkt->dts < 0)) return;
      try {
        on_copied_(pkt, plan.copy_to[in], tb);
      } catch (const std::exception& ex) {
        // The output failed; the next video frame written says so and ends the run.
        spdlog::debug("{}: {}", url_, ex.what());
      }
    });
  }
  Frame frame;
  while (source.read(frame)) {
    touch();
    frame.pts = timeline_->place(frame.pts, st->time_base, connection, nominal);
    CapturedFrame captured{std::move(frame), connection, LiveClock::now()};
    std::unique_lock<std::mutex> lock(mutex_);
    // The pipeline is stuck (an output that blocks): wait rather than hold
    // frames without bound; the network's buffers absorb or drop the rest.
    changed_.wait(lock, [&] { return stopping_ || frames_.size() < options_.max_queued; });
    if (stopping_) return;
    touch();  // the wait above was ours, not the network's
    frames_.push_back(std::move(captured));
    changed_.notify_all();
    frame = Frame();
  }
}

std::optional<CapturedFrame> StreamCapture::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !frames_.empty() || finished_; });
  if (frames_.empty()) return std::nullopt;
  CapturedFrame f = std::move(frames_.front());
  frames_.pop_front();
  changed_.notify_all();
  return f;
}

std::vector<CaptureEvent> StreamCapture::take_events() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<CaptureEvent> out;
  out.swap(events_);
  return out;
}

bool StreamCapture::ended() {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_ && frames_.empty();
}

std::optional<std::string> StreamCapture::failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

bool StreamCapture::connected() {
  std::lock_guard<std::mutex> lock(mutex_);
  return connected_;
}

std::int64_t StreamCapture::reconnects() {
  std::lock_guard<std::mutex> lock(mutex_);
  return reconnects_;
}

}  // namespace veil

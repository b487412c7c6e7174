#include "veil/live/live_anonymizer.hpp"

#include "io/output_file.hpp"
#include "io/video_sink.hpp"
#include "live/live_schedule.hpp"
#include "live/live_status.hpp"
#include "live/stream_capture.hpp"
#include "live/whole_frame.hpp"
#include "pipeline/analysis_stage.hpp"
#include "pipeline/frame_redaction.hpp"
#include "sidecar/sidecar_writer.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
}

namespace veil {

namespace {

using std::chrono::milliseconds;

double seconds(LiveClock::duration d) { return std::chrono::duration<double>(d).count(); }

// A frame between arriving and leaving, in arrival order.
struct Slot {
  // kSkipped: it will not be analysed; it is hidden whole when due, so
  // that a burst of such decisions (at the start, or when analysis falls
  // behind) does not hold the loop: hiding and encoding 30 frames of 1080p
  // at once let frames leave up to 0.6 s past their deadline.
  enum State { kWaiting, kSkipped, kInStage, kReady };
  State state = kWaiting;
  Frame frame;  // kReady: the frame to write; before: shares its picture with the stage's copy
  LiveClock::time_point arrival, deadline, submitted;
  bool hidden_whole = false;
};

// What identifies a copied stream across connections: a reconnected camera
// must send the same kind of audio for its packets to continue the output's.
struct StreamSignature {
  int type = -1, codec = 0, sample_rate = 0, channels = 0;
  bool operator==(const StreamSignature& o) const {
    return type == o.type && codec == o.codec && sample_rate == o.sample_rate && channels == o.channels;
  }
};
StreamSignature signature(const AVStream* st) {
  const AVCodecParameters* p = st->codecpar;
  return {int(p->codec_type), int(p->codec_id), p->sample_rate, p->ch_layout.nb_channels};
}

// Detection runs below the stream's reading and writing: when cores are
// short it is detection that falls behind (and the policy for that takes
// over), never the stream, whose delay would then grow without bound.
AnonymizeOptions with_live_detection(AnonymizeOptions o) {
  o.detection.worker_niceness = 10;
  return o;
}

}  // namespace

LiveAnonymizer::LiveAnonymizer(AnonymizeOptions options, LiveOptions live, const ModelStore& store)
    : options_(with_live_detection(std::move(options))),
      live_(std::move(live)),
      analyzer_(options_.detection, store),
      redactor_(options_.redact) {
  if (!(live_.latency_seconds > 0)) throw Error("latency must be more than 0 s");
  if (!(live_.stall_seconds > 0)) throw Error("stall timeout must be more than 0 s");
  if (live_.give_up_seconds < 0) throw Error("give-up time must not be negative");
  options_.encode.live = true;
  // Each network's first runs are several times slower than later ones
  // (ONNX Runtime grows its arena and plans memory then), whatever the
  // frame's size: at 720p the first analysis took 0.59 s and the later
  // ones 0.33 s; after one of a 640x360 frame, 0.36 s. Paid now, before the
  // stream arrives, it no longer costs the first second of frames.
  const auto warm_start = LiveClock::now();
  analyzer_.analyze(cv::Mat(360, 640, CV_8UC3, cv::Scalar::all(128)));
  spdlog::debug("live: networks warmed up in {:.2f} s",
                std::chrono::duration<double>(LiveClock::now() - warm_start).count());
}

LiveStats LiveAnonymizer::run(const std::string& input, const std::string& output,
                              const std::function<void(const LiveStatus&)>& on_status) {
  // Options that would only fail once the stream arrives fail now.
  open_live_output(output);
  if (!options_.encode.format.empty() && !av_guess_format(options_.encode.format.c_str(), nullptr, nullptr)) {
    throw Error(output + ": unknown output format '" + options_.encode.format + "'");
  }
  const auto start = LiveClock::now();
  std::optional<StatsLog> log;
  if (live_.stats_path) log.emplace(*live_.stats_path);
  LiveStatusMeter meter(start);

  // The sink is made from the first connection (size, frame rate, colours)
  // on the capture thread, before it reads a frame; later connections feed
  // the same sink.
  std::mutex sink_mutex;
  std::unique_ptr<VideoSink> sink;
  std::optional<StageSettings> settings;
  double frame_step = 0;  // seconds per frame of the first connection, or 0
  CaptureOptions capture_options;
  capture_options.input_options = live_.input_options;
  capture_options.stall_seconds = live_.stall_seconds;
  capture_options.give_up_seconds = live_.give_up_seconds;
  capture_options.max_queued = size_t(std::max(16.0, std::ceil(live_.latency_seconds * 60)));
  // The first connection's copied streams; a later connection's stream of
  // the same kind, the same in order among its streams, continues each.
  std::vector<StreamSignature> first_streams;
  auto on_connected = [&](VideoSource& source) {
    std::lock_guard<std::mutex> lock(sink_mutex);
    AVFormatContext* ic = source.format_context();
    ConnectionPlan plan;
    plan.copy_to.assign(ic->nb_streams, -1);
    if (sink) {
      plan.output_time_base = sink->time_base();
      std::map<int, int> seen;  // per type, how many so far
      for (unsigned i = 0; i < ic->nb_streams; ++i) {
        const StreamSignature sig = signature(ic->streams[i]);
        int ordinal = seen[sig.type]++;
        for (size_t f = 0; f < first_streams.size(); ++f) {
          if (first_streams[f].type != sig.type || ordinal-- != 0) continue;
          if (first_streams[f] == sig && sink->copies_stream(int(f))) plan.copy_to[i] = int(f);
          break;
        }
      }
      return plan;
    }
    auto made = std::make_unique<VideoSink>(output, source, options_.encode);
    made->release_source();
    for (unsigned i = 0; i < ic->nb_streams; ++i) {
      first_streams.push_back(signature(ic->streams[i]));
      if (made->copies_stream(int(i))) plan.copy_to[i] = int(i);
    }
    plan.output_time_base = made->time_base();
    settings = stage_settings(options_, source.info());
    const AVStream* st = source.format_context()->streams[source.video_stream_index()];
    const AVRational fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fps.num > 0 && fps.den > 0) frame_step = av_q2d(av_inv_q(fps));
    sink = std::move(made);
    return plan;
  };
  // Runs on the capture thread after on_connected made the sink.
  auto on_copied = [&](AVPacket* pkt, int first_stream, AVRational time_base) {
    sink->write_copied(pkt, first_stream, time_base);
  };
  StreamCapture capture(input, capture_options, on_connected, on_copied);

  // Wait for the first connection: the sink and the stage depend on it.
  while (true) {
    {
      std::lock_guard<std::mutex> lock(sink_mutex);
      if (sink) break;
    }
    if (capture.ended()) {
      throw Error(capture.failure().value_or(input + ": stopped before the stream arrived"));
    }
    std::this_thread::sleep_for(milliseconds(20));
  }

  // The look-ahead holds frames back; it gets at most half the budget, the
  // analysis and encoding the rest. A frame due to leave goes earlier.
  std::optional<LookaheadOptions> tracking = options_.tracking;
  if (tracking) {
    const double step = frame_step > 0 ? frame_step : 1.0 / 30;
    tracking->window = std::min(tracking->window, int(live_.latency_seconds / 2 / step));
  }
  const AVRational out_tb = sink->time_base();
  LiveSchedule schedule(live_.latency_seconds, live_.when_behind, settings->sweep_frames, start);
  LiveSchedule::Work work = schedule.work();  // what the stage runs with
  AnalysisStage stage(analyzer_, tracking, work.sweep, settings->frames_in_flight);
  const size_t max_in_flight = size_t(settings->frames_in_flight);
  spdlog::info("{}: live, latency {:.2f} s, look-ahead {} frames", input, live_.latency_seconds,
               tracking ? tracking->window : 0);

  std::deque<Slot> slots;
  std::int64_t first_index = 0;  // slots.front()'s index
  std::int64_t next_index = 0;
  std::deque<std::pair<std::int64_t, LiveClock::time_point>> submitted;  // in the analyzer, oldest first
  LiveStats stats;
  auto last_status = start;

  auto slot_of = [&](std::int64_t index) -> Slot* {
    if (index < first_index || index >= first_index + std::int64_t(slots.size())) return nullptr;
    return &slots[size_t(index - first_index)];
  };
  auto hide_whole = [&](Slot& s) {
    s.frame = hide_whole_frame(s.frame, options_.redact);
    s.state = Slot::kReady;
    s.hidden_whole = true;
  };
  auto apply_work = [&](LiveClock::time_point now) {
    const LiveSchedule::Work next = schedule.work();
    if (next.level == work.level) return;
    const char* dropped = LiveSchedule::dropped_at(next.level);
    if (next.level > work.level) {
      spdlog::info("{}: detection is behind the stream; now without: {}", input, dropped);
    } else {
      spdlog::info("{}: detection keeps up; now {}", input, next.level == 0 ? "with every pass" : std::string("without: ") + dropped);
    }
    if (log) {
      log->event(meter.seconds_since_start(now), next.level > work.level ? "lighter" : "heavier",
                 {{"lighter", next.level}, {"dropped", dropped}, {"sweep", next.sweep}});
    }
    work = next;
    stage.set_sweep_frames(work.sweep);
    stage.set_lighter(work.primary_only, work.no_fine);
  };
  auto take_analysed = [&](std::vector<AnalyzedFrame> done) {
    for (AnalyzedFrame& a : done) {
      Slot* s = slot_of(a.frame.index);
      if (!s || s->state == Slot::kReady) continue;  // it left hidden whole already
      round_to_sidecar_precision(a.detections);
      for (const Detection& d : a.detections) {
        if (!d.predicted) stats.detections[d.cls]++;
      }
      redact_frame(redactor_, a.frame, a.detections);
      s->frame = std::move(a.frame);
      s->state = Slot::kReady;
    }
  };
  auto poll_stage = [&]() {
    try {
      take_analysed(stage.poll());
    } catch (const Error& ex) {
      // The frame stays unanalysed and leaves hidden whole at its deadline.
      spdlog::warn("{}: {}", input, ex.what());
    }
    const auto now = LiveClock::now();
    while (submitted.size() > stage.in_flight()) {
      schedule.analysis_took(seconds(now - submitted.front().second));
      submitted.pop_front();
    }
  };
  auto write_ready = [&]() {
    while (!slots.empty() && slots.front().state == Slot::kReady) {
      Slot& s = slots.front();
      const auto before = LiveClock::now();
      sink->write(s.frame);
      const auto after = LiveClock::now();
      schedule.encode_took(seconds(after - before));
      meter.frame_out(seconds(after - s.arrival), s.hidden_whole);
      slots.pop_front();
      ++first_index;
    }
  };
  auto report = [&](LiveClock::time_point now, bool force) {
    for (const CaptureEvent& e : capture.take_events()) {
      const double t = meter.seconds_since_start(e.when);
      if (e.kind == CaptureEvent::kLost) {
        if (log) log->event(t, "input_lost", {{"message", e.message}});
      } else if (e.kind == CaptureEvent::kReconnected) {
        stats.gap_seconds += e.gap_seconds;
        spdlog::info("{}: reconnected after {:.1f} s", input, e.gap_seconds);
        if (log) log->event(t, "reconnected", {{"gap_s", e.gap_seconds}});
      } else if (log) {
        log->event(t, "connected");
      }
    }
    if (!force && seconds(now - last_status) < 1.0) return;
    last_status = now;
    stats.last = meter.take(now, capture.reconnects(), work, capture.connected());
    if (log) log->status(stats.last);
    if (on_status) on_status(stats.last);
  };

  bool stopping = false;
  while (true) {
    // 1. Frames that arrived.
    std::optional<CapturedFrame> got = capture.next(milliseconds(5));
    while (got) {
      CapturedFrame& c = *got;
      Slot s;
      s.frame = std::move(c.frame);
      s.frame.index = next_index++;
      s.frame.pts_seconds = s.frame.pts * av_q2d(out_tb);
      s.arrival = c.arrival;
      s.deadline = schedule.deadline_of(c.arrival);
      slots.push_back(std::move(s));
      meter.frame_in();
      got = capture.next(milliseconds(0));
    }
    const bool capture_over = capture.ended();
    stopping = stopping || stop_requested() || capture_over;
    if (stopping) capture.stop();

    // 2. Analyses that finished.
    poll_stage();

    // 3. Start analyses, oldest first, while the analyzer has room. A frame
    // that could not be done by its deadline is hidden whole instead.
    const auto now = LiveClock::now();
    for (Slot& s : slots) {
      if (stopping) break;  // below: every frame left is analysed, however late
      if (s.state != Slot::kWaiting) continue;
      const auto decision = schedule.decide(s.deadline, now, stage.in_flight() < max_in_flight);
      if (decision == LiveSchedule::Decision::kWaitForRoom) break;
      if (decision == LiveSchedule::Decision::kHideWhole) {
        s.state = Slot::kSkipped;
        continue;
      }
      Frame copy = s.frame;  // shares the picture
      stage.submit(std::move(copy));
      submitted.emplace_back(s.frame.index, now);
      s.state = Slot::kInStage;
      s.submitted = now;
    }

    // 4. Frames due to leave: out of the look-ahead now, or hidden whole if
    // their analysis is not done.
    if (!stopping) {
      for (Slot& s : slots) {
        if (!schedule.due(s.deadline, now)) break;
        if (s.state == Slot::kSkipped) hide_whole(s);
        if (s.state != Slot::kInStage) continue;
        take_analysed(stage.release_through(s.frame.index));
        if (s.state != Slot::kReady) {
          hide_whole(s);
          schedule.fell_behind(now);
        }
      }
    }

    // 5. Lighter work when behind; back to the whole line-up once it is not.
    schedule.relax(now);
    apply_work(now);

    write_ready();
    report(LiveClock::now(), false);

    if (stopping) {
      // Everything read so far is analysed and written, then the output is
      // closed properly.
      for (Slot& s : slots) {
        if (s.state != Slot::kWaiting) continue;
        Frame copy = s.frame;
        stage.submit(std::move(copy));
        s.state = Slot::kInStage;
      }
      try {
        take_analysed(stage.flush());
      } catch (const Error& ex) {
        spdlog::warn("{}: {}", input, ex.what());
      }
      for (Slot& s : slots) {
        if (s.state != Slot::kReady) hide_whole(s);  // its analysis failed
      }
      write_ready();
      break;
    }
  }
  sink->finish();
  stats.latency_max = meter.latency_max();
  stats.failure = capture.failure();
  report(LiveClock::now(), true);
  if (log) {
    log->event(meter.seconds_since_start(LiveClock::now()), "end",
               {{"frames_in", stats.last.frames_in},
                {"frames_out", stats.last.frames_out},
                {"hidden_whole", stats.last.hidden_whole},
                {"reconnects", stats.last.reconnects},
                {"latency_max_s", stats.latency_max},
                {"gap_s", stats.gap_seconds},
                {"failure", stats.failure.value_or("")}});
  }
  return stats;
}

}  // namespace veil

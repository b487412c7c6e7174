#include "live/live_status.hpp"

#include "veil/core/error.hpp"

#include <algorithm>

namespace veil {

void LiveStatusMeter::frame_out(double latency_seconds, bool hidden_whole) {
  ++status_.frames_out;
  ++interval_out_;
  if (hidden_whole) ++status_.hidden_whole;
  interval_latency_sum_ += latency_seconds;
  interval_latency_max_ = std::max(interval_latency_max_, latency_seconds);
  latency_max_ = std::max(latency_max_, latency_seconds);
}

double LiveStatusMeter::seconds_since_start(LiveClock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

LiveStatus LiveStatusMeter::take(LiveClock::time_point now, std::int64_t reconnects, const LiveSchedule::Work& work,
                                 bool connected) {
  const double interval = std::chrono::duration<double>(now - interval_start_).count();
  LiveStatus s = status_;
  s.seconds = seconds_since_start(now);
  s.fps_in = interval > 0 ? interval_in_ / interval : 0;
  s.fps_out = interval > 0 ? interval_out_ / interval : 0;
  s.latency_mean = interval_out_ > 0 ? interval_latency_sum_ / interval_out_ : 0;
  s.latency_max = interval_latency_max_;
  s.reconnects = reconnects;
  s.sweep_frames = work.sweep;
  s.lighter = work.level;
  s.dropped = LiveSchedule::dropped_at(work.level);
  s.input_connected = connected;
  interval_start_ = now;
  interval_in_ = interval_out_ = 0;
  interval_latency_sum_ = interval_latency_max_ = 0;
  return s;
}

StatsLog::StatsLog(const std::string& path) : path_(path), out_(path, std::ios::out | std::ios::trunc) {
  if (!out_) throw Error(path + ": cannot create the stats file");
}

void StatsLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw Error(path_ + ": cannot write the stats file");
}

void StatsLog::status(const LiveStatus& s) {
  write({{"type", "status"},
         {"t", s.seconds},
         {"fps_in", s.fps_in},
         {"fps_out", s.fps_out},
         {"latency_mean_s", s.latency_mean},
         {"latency_max_s", s.latency_max},
         {"frames_in", s.frames_in},
         {"frames_out", s.frames_out},
         {"hidden_whole", s.hidden_whole},
         {"reconnects", s.reconnects},
         {"sweep", s.sweep_frames},
         {"lighter", s.lighter},
         {"dropped", s.dropped},
         {"input", s.input_connected ? "connected" : "lost"}});
}

void StatsLog::event(double seconds, const std::string& name, nlohmann::json fields) {
  nlohmann::json record = {{"type", "event"}, {"t", seconds}, {"event", name}};
  record.update(fields);
  write(record);
}

}  // namespace veil

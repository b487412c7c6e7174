#pragma once
// The figures of a live run: counted as frames come and go, summed up once a
// second for the status line, and written as JSON Lines for --stats.
#include "live/live_schedule.hpp"
#include "live/stream_capture.hpp"
#include "veil/live/live_anonymizer.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace veil {

class LiveStatusMeter {
 public:
  explicit LiveStatusMeter(LiveClock::time_point start) : start_(start), interval_start_(start) {}
  void frame_in() { ++status_.frames_in, ++interval_in_; }
  void frame_out(double latency_seconds, bool hidden_whole);
  double seconds_since_start(LiveClock::time_point t) const;
  // The status over the interval since the previous call; starts a new one.
  // `work`: what detection runs now (sweep, lightening level).
  LiveStatus take(LiveClock::time_point now, std::int64_t reconnects, const LiveSchedule::Work& work, bool connected);
  double latency_max() const { return latency_max_; }

 private:
  LiveClock::time_point start_, interval_start_;
  LiveStatus status_;
  std::int64_t interval_in_ = 0, interval_out_ = 0;
  double interval_latency_sum_ = 0, interval_latency_max_ = 0;
  double latency_max_ = 0;
};

// Appends one JSON object per line and flushes it, so that a reader
// following the file sees each as it happens.
class StatsLog {
 public:
  // Throws veil::Error when the file cannot be created.
  explicit StatsLog(const std::string& path);
  void status(const LiveStatus& s);
  void event(double seconds, const std::string& name, nlohmann::json fields = nlohmann::json::object());

 private:
  void write(const nlohmann::json& record);
  std::string path_;
  std::ofstream out_;
};

}  // namespace veil

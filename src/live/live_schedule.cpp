#include "live/live_schedule.hpp"

#include <chrono>

namespace veil {
namespace {

double seconds(LiveClock::duration d) { return std::chrono::duration<double>(d).count(); }

// Encoding a frame is assumed to take this long until it has been measured.
constexpr double kEncodeGuessSeconds = 0.02;
// Slack for the loop's own round (it wakes every 5 ms) and for muxing.
constexpr double kSlackSeconds = 0.015;

}  // namespace

void LiveSchedule::Estimate::add(double v) {
  value = known ? 0.8 * value + 0.2 * v : v;
  known = true;
}

LiveSchedule::LiveSchedule(double latency_seconds, BehindPolicy policy, int base_sweep,
                           LiveClock::time_point start)
    : latency_(std::chrono::duration_cast<LiveClock::duration>(std::chrono::duration<double>(latency_seconds))),
      policy_(policy),
      base_sweep_(base_sweep),
      last_behind_(start - std::chrono::hours(1)),
      last_level_change_(start),
      last_probe_(start) {}

LiveClock::time_point LiveSchedule::deadline_of(LiveClock::time_point arrival) const { return arrival + latency_; }

double LiveSchedule::left_for_analysis(LiveClock::time_point deadline, LiveClock::time_point now) const {
  return seconds(deadline - now) - (encode_.known ? encode_.value : kEncodeGuessSeconds) - kSlackSeconds;
}

LiveSchedule::Decision LiveSchedule::decide(LiveClock::time_point deadline, LiveClock::time_point now,
                                            bool analyzer_has_room) {
  const double left = left_for_analysis(deadline, now);
  const bool expected_late = analysis_.known && analysis_.value > left;
  // An analysis expected to end too late is not started, except one a second
  // when the analyzer has room: that keeps the estimate true to the work now
  // (lightened, or a machine less busy). Should it end late, the frame leaves
  // hidden whole all the same.
  const bool probe_due = seconds(now - last_probe_) >= 1.0;
  if (left <= 0 || (analyzer_has_room && expected_late && !probe_due)) {
    fell_behind(now);
    return Decision::kHideWhole;
  }
  if (!analyzer_has_room) return Decision::kWaitForRoom;
  if (expected_late) last_probe_ = now;
  // Starting this late means frames arrive faster than they are analysed:
  // lighten now, before any frame has to be hidden whole.
  if (seconds(deadline - now) < seconds(latency_) / 2) fell_behind(now);
  return Decision::kAnalyse;
}

bool LiveSchedule::due(LiveClock::time_point deadline, LiveClock::time_point now) const {
  return left_for_analysis(deadline, now) <= 0;
}

LiveSchedule::Work LiveSchedule::work() const {
  Work w;
  w.level = level_;
  w.sweep = base_sweep_ * (level_ >= 3 ? 4 : level_ >= 2 ? 2 : 1);
  w.primary_only = level_ >= 1;
  w.no_fine = level_ >= 4;
  return w;
}

const char* LiveSchedule::dropped_at(int level) {
  switch (level) {
    case 0: return "";
    case 1: return "secondary models";
    case 2: return "secondary models; fine passes over 2x the sweep";
    case 3: return "secondary models; fine passes over 4x the sweep";
    default: return "secondary models; fine passes";
  }
}

void LiveSchedule::fell_behind(LiveClock::time_point now) {
  last_behind_ = now;
  if (policy_ != BehindPolicy::kLighten || level_ >= kMaxLevel) return;
  if (seconds(now - last_level_change_) < 1.0) return;
  ++level_;
  last_level_change_ = now;
}

void LiveSchedule::relax(LiveClock::time_point now) {
  if (level_ > 0 && seconds(now - last_behind_) > 10.0 && seconds(now - last_level_change_) > 10.0) {
    --level_;
    last_level_change_ = now;
  }
}

void LiveSchedule::analysis_took(double s) { analysis_.add(s); }
void LiveSchedule::encode_took(double s) { encode_.add(s); }

}  // namespace veil

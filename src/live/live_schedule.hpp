#pragma once
// The deadline policy of a live run, apart from streams, threads and
// pictures. Every frame must leave `latency` after it arrived. This decides
// which waiting frame starts its analysis and which leaves hidden whole, and
// how far the fine detection passes are spread (the sweep) while analysis
// falls behind. The caller passes the time, so tests drive it with a made-up
// clock. Used by one thread (the live loop).
#include "live/stream_capture.hpp"  // LiveClock
#include "veil/live/live_anonymizer.hpp"

namespace veil {

class LiveSchedule {
 public:
  // `base_sweep`: the sweep the analysis was configured with (frames over
  // which the fine passes are spread); the schedule never goes below it.
  LiveSchedule(double latency_seconds, BehindPolicy policy, int base_sweep, LiveClock::time_point start);

  LiveClock::time_point deadline_of(LiveClock::time_point arrival) const;

  enum class Decision { kAnalyse, kHideWhole, kWaitForRoom };
  // For a frame still waiting, called oldest first. kAnalyse: start its
  // analysis now. kHideWhole: it cannot be analysed by its deadline (the time
  // is past, or analysis is measured to take longer than what is left); this
  // counts as falling behind. kWaitForRoom: the analyzer is full; ask again
  // later, and ask nothing about younger frames now.
  Decision decide(LiveClock::time_point deadline, LiveClock::time_point now, bool analyzer_has_room);

  // True when a frame due at `deadline` must leave now: what is left is no
  // more than its encoding takes. One not analysed by then leaves hidden
  // whole (and the caller reports that through fell_behind).
  bool due(LiveClock::time_point deadline, LiveClock::time_point now) const;

  // How much of the detection work runs now. Under BehindPolicy::kLighten,
  // falling behind moves one level up, at most once a second: 1 drops the
  // secondary models (all but the first model of each class, and the
  // context model), 2 and 3 spread the fine passes over twice and four
  // times the base sweep, 4 drops the fine passes (the focus passes over
  // tracked objects stay). Only then are frames hidden whole for want of
  // time.
  struct Work {
    int level = 0;
    int sweep = 1;
    bool primary_only = false;
    bool no_fine = false;
  };
  static constexpr int kMaxLevel = 4;
  Work work() const;
  // What the level leaves out, for logs and --stats ("" at level 0).
  static const char* dropped_at(int level);

  // Falling behind: a frame left hidden whole, or (from decide()) a frame
  // that waited more than half the latency before its analysis could start,
  // the sign that analysis runs slower than the stream. Lightens the work
  // one level (see work()).
  void fell_behind(LiveClock::time_point now);
  // Called each round: after 10 s without falling behind (and 10 s since the
  // last change) the work goes one level back towards the full line-up.
  void relax(LiveClock::time_point now);

  // Measured durations, in seconds: from submitting a frame to its analysis
  // ending, and writing one frame.
  void analysis_took(double seconds);
  void encode_took(double seconds);

  int sweep() const { return work().sweep; }

 private:
  // Running estimate of a duration (seconds), weighted to recent values.
  struct Estimate {
    double value = 0;
    bool known = false;
    void add(double v);
  };
  double left_for_analysis(LiveClock::time_point deadline, LiveClock::time_point now) const;

  LiveClock::duration latency_;
  BehindPolicy policy_;
  int base_sweep_;
  int level_ = 0;
  Estimate analysis_, encode_;
  LiveClock::time_point last_behind_, last_level_change_, last_probe_;
};

}  // namespace veil

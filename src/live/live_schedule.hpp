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

  // A frame left hidden whole. Under BehindPolicy::kLighten the sweep doubles,
  // at most once a second and up to 8 times the base.
  void fell_behind(LiveClock::time_point now);
  // Called each round: after 10 s without falling behind (and 10 s since the
  // last change) the sweep halves, back towards the base.
  void relax(LiveClock::time_point now);

  // Measured durations, in seconds: from submitting a frame to its analysis
  // ending, and writing one frame.
  void analysis_took(double seconds);
  void encode_took(double seconds);

  int sweep() const { return sweep_; }

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
  int sweep_;
  Estimate analysis_, encode_;
  LiveClock::time_point last_behind_, last_sweep_change_, last_probe_;
};

}  // namespace veil

// The live deadline policy on a made-up clock: which frames are analysed,
// which leave hidden whole, and how the work lightens and recovers. The
// stream tests (live_test.cpp) show the same policy end to end in real time.
#include "live/live_schedule.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

using Decision = LiveSchedule::Decision;
const LiveClock::time_point t0{std::chrono::hours(1)};
LiveClock::time_point at(double seconds) {
  return t0 + std::chrono::duration_cast<LiveClock::duration>(std::chrono::duration<double>(seconds));
}

TEST(LiveSchedule, AFrameIsAnalysedWhileThereIsTimeAndRoomAndHiddenWholeAfter) {
  LiveSchedule schedule(1.0, BehindPolicy::kLighten, 1, t0);
  const auto deadline = schedule.deadline_of(at(0));
  EXPECT_EQ(deadline, at(1.0));
  EXPECT_EQ(schedule.decide(deadline, at(0.1), true), Decision::kAnalyse);
  EXPECT_EQ(schedule.decide(deadline, at(0.1), false), Decision::kWaitForRoom);
  // Past the deadline less the encoding time (a guessed 20 ms until
  // measured, plus slack), room or not.
  EXPECT_EQ(schedule.decide(deadline, at(0.97), true), Decision::kHideWhole);
  EXPECT_EQ(schedule.decide(deadline, at(0.97), false), Decision::kHideWhole);
  EXPECT_FALSE(schedule.due(deadline, at(0.9)));
  EXPECT_TRUE(schedule.due(deadline, at(0.97)));
  // A measured slow encoder moves the point at which a frame must leave.
  schedule.encode_took(0.2);
  EXPECT_TRUE(schedule.due(deadline, at(0.8)));
}

TEST(LiveSchedule, AnAnalysisMeasuredTooSlowIsNotStartedExceptOneProbeASecond) {
  LiveSchedule schedule(1.0, BehindPolicy::kHide, 1, t0);
  schedule.analysis_took(2.0);  // longer than the whole budget
  // The first is a probe (none for a second since the start), the next are
  // hidden whole without starting, until a second has passed.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(1.0)), at(1.0), true), Decision::kAnalyse);
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(1.04)), at(1.04), true), Decision::kHideWhole);
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(1.9)), at(1.9), true), Decision::kHideWhole);
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(2.0)), at(2.0), true), Decision::kAnalyse);
  // With the analyzer full there is nothing to probe with: the frame waits.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(2.1)), at(2.1), false), Decision::kWaitForRoom);
  // Faster analyses, measured, bring starting back.
  for (int i = 0; i < 20; ++i) schedule.analysis_took(0.1);
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(2.2)), at(2.2), true), Decision::kAnalyse);
}

TEST(LiveSchedule, LighteningDropsSecondaryModelsThenSpreadsThenDropsFinePassesThenRelaxes) {
  LiveSchedule schedule(1.0, BehindPolicy::kLighten, 2, t0);
  auto w = schedule.work();
  EXPECT_EQ(w.level, 0);
  EXPECT_EQ(w.sweep, 2);
  EXPECT_FALSE(w.primary_only);
  EXPECT_FALSE(w.no_fine);
  schedule.fell_behind(at(0.5));  // within a second of the start: no change yet
  EXPECT_EQ(schedule.work().level, 0);
  schedule.fell_behind(at(1.0));
  w = schedule.work();
  EXPECT_TRUE(w.primary_only);
  EXPECT_EQ(w.sweep, 2);
  EXPECT_STREQ(LiveSchedule::dropped_at(w.level), "secondary models");
  schedule.fell_behind(at(1.5));  // at most once a second
  EXPECT_EQ(schedule.work().level, 1);
  schedule.fell_behind(at(2.0));
  EXPECT_EQ(schedule.sweep(), 4);
  schedule.fell_behind(at(3.0));
  EXPECT_EQ(schedule.sweep(), 8);
  EXPECT_FALSE(schedule.work().no_fine);
  schedule.fell_behind(at(4.0));
  schedule.fell_behind(at(5.0));
  w = schedule.work();
  EXPECT_EQ(w.level, LiveSchedule::kMaxLevel);  // no further
  EXPECT_TRUE(w.primary_only);
  EXPECT_TRUE(w.no_fine);
  // Hiding a frame whole because it was late counts as falling behind too.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(0)), at(5.5), true), Decision::kHideWhole);
  schedule.relax(at(15.0));  // 9.5 s since the last fall behind: stays
  EXPECT_EQ(schedule.work().level, 4);
  schedule.relax(at(15.6));
  EXPECT_EQ(schedule.work().level, 3);
  schedule.relax(at(20.0));  // 10 s must also pass since that change
  EXPECT_EQ(schedule.work().level, 3);
  schedule.relax(at(25.7));
  schedule.relax(at(35.8));
  schedule.relax(at(45.9));
  schedule.relax(at(56.0));
  schedule.relax(at(66.1));
  w = schedule.work();
  EXPECT_EQ(w.level, 0);  // never below the whole line-up
  EXPECT_EQ(w.sweep, 2);
  EXPECT_FALSE(w.primary_only);
}

TEST(LiveSchedule, AFrameStartedLateLightensTheWorkBeforeAnyIsHiddenWhole) {
  LiveSchedule schedule(1.0, BehindPolicy::kLighten, 1, t0);
  // Started with most of its budget left: no change.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(1.8)), at(2.0), true), Decision::kAnalyse);
  EXPECT_EQ(schedule.work().level, 0);
  // Waited 0.6 s of its 1 s for room: frames come faster than they are
  // analysed. It is still analysed, and the work is lightened.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(2.0)), at(2.6), true), Decision::kAnalyse);
  EXPECT_EQ(schedule.work().level, 1);
}

TEST(LiveSchedule, TheHidePolicyNeverChangesTheWork) {
  LiveSchedule schedule(0.5, BehindPolicy::kHide, 1, t0);
  for (int i = 1; i < 20; ++i) schedule.fell_behind(at(i));
  EXPECT_EQ(schedule.sweep(), 1);
}

}  // namespace
}  // namespace veil

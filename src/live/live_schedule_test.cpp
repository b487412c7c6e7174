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

TEST(LiveSchedule, LighteningDoublesTheSweepUpToEightTimesThenRelaxes) {
  LiveSchedule schedule(1.0, BehindPolicy::kLighten, 2, t0);
  EXPECT_EQ(schedule.sweep(), 2);
  schedule.fell_behind(at(0.5));  // within a second of the start: no change yet
  EXPECT_EQ(schedule.sweep(), 2);
  schedule.fell_behind(at(1.0));
  EXPECT_EQ(schedule.sweep(), 4);
  schedule.fell_behind(at(1.5));  // at most once a second
  EXPECT_EQ(schedule.sweep(), 4);
  schedule.fell_behind(at(2.0));
  schedule.fell_behind(at(3.0));
  schedule.fell_behind(at(4.0));
  EXPECT_EQ(schedule.sweep(), 16);  // 8 times the base, no further
  // Hiding a frame whole because it was late counts as falling behind too.
  EXPECT_EQ(schedule.decide(schedule.deadline_of(at(0)), at(5.0), true), Decision::kHideWhole);
  schedule.relax(at(14.0));  // 9 s since the last fall behind: stays
  EXPECT_EQ(schedule.sweep(), 16);
  schedule.relax(at(15.1));
  EXPECT_EQ(schedule.sweep(), 8);
  schedule.relax(at(20.0));  // 10 s must also pass since that change
  EXPECT_EQ(schedule.sweep(), 8);
  schedule.relax(at(25.2));
  schedule.relax(at(35.3));
  schedule.relax(at(45.4));
  EXPECT_EQ(schedule.sweep(), 2);  // never below the base
}

TEST(LiveSchedule, TheHidePolicyNeverChangesTheWork) {
  LiveSchedule schedule(0.5, BehindPolicy::kHide, 1, t0);
  for (int i = 1; i < 20; ++i) schedule.fell_behind(at(i));
  EXPECT_EQ(schedule.sweep(), 1);
}

}  // namespace
}  // namespace veil

// The analysis stage with several frames in flight: frames still come out
// in order, each once, with their own detections; a frame that fails stops
// the stream; and what is found does not depend on the threads' timing.
#include "pipeline/analysis_stage.hpp"

#include "io/video_source.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <tuple>

namespace veil {
namespace {

// One whole-frame pass that "detects" the frame's grey level as a box at
// x = level, after a delay that makes later frames finish first. Fails on
// a frame of level `fail_at`.
class GreyLevelDetector : public Detector {
 public:
  explicit GreyLevelDetector(int fail_at) : fail_at_(fail_at) {}
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "grey"; }
  std::vector<DetectorPass> plan(cv::Size frame) const override { return {{cv::Rect(cv::Point(), frame), 1.f, true}}; }
  Detections run(const cv::Mat& bgr, const DetectorPass&) override {
    const int level = bgr.at<cv::Vec3b>(0, 0)[0];
    std::this_thread::sleep_for(std::chrono::milliseconds(level % 2 ? 1 : 15));
    if (level == fail_at_) throw Error("cannot read this frame");
    Detection d;
    d.box = cv::Rect2f(float(level), 0.f, 4.f, 4.f);
    d.score = 1.f;
    return {d};
  }
  Detections merge(Detections raw, cv::Size) const override { return raw; }

 private:
  int fail_at_;
};

DetectorFactory grey_levels(int fail_at = -1) {
  return [fail_at] {
    std::vector<DetectorPtr> v;
    v.push_back(std::make_unique<GreyLevelDetector>(fail_at));
    return v;
  };
}

Frame grey_frame(int level) {
  Frame f;
  f.index = level;
  f.image = cv::Mat(32, 32, CV_8UC3, cv::Scalar::all(level));
  return f;
}

TEST(AnalysisStage, FramesInFlightComeOutInOrderWithTheirOwnDetections) {
  FrameAnalyzer analyzer(grey_levels(), 3);
  AnalysisStage stage(analyzer, std::nullopt, 1, /*frames_in_flight=*/3);
  std::vector<AnalyzedFrame> out;
  for (int i = 0; i < 12; ++i) {
    for (auto& a : stage.push(grey_frame(i))) out.push_back(std::move(a));
    EXPECT_GE(int(out.size()), i - 2);  // at most 3 held
  }
  for (auto& a : stage.flush()) out.push_back(std::move(a));
  ASSERT_EQ(out.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(out[i].frame.index, i);
    ASSERT_EQ(out[i].detections.size(), 1u);
    EXPECT_EQ(out[i].detections[0].box.x, float(i));
  }
}

TEST(AnalysisStage, AFrameThatFailsStopsTheStreamThere) {
  FrameAnalyzer analyzer(grey_levels(/*fail_at=*/5), 2);
  AnalysisStage stage(analyzer, LookaheadOptions{}, 4, /*frames_in_flight=*/2);
  std::vector<std::int64_t> delivered;
  try {
    for (int i = 0; i < 12; ++i) {
      for (auto& a : stage.push(grey_frame(i))) delivered.push_back(a.frame.index);
    }
    FAIL() << "frame 5 failed, but the stream went on";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("frame 5"), std::string::npos) << e.what();
  }
  for (size_t i = 0; i < delivered.size(); ++i) EXPECT_EQ(delivered[i], std::int64_t(i));
  EXPECT_LT(delivered.size(), 5u);  // nothing from frame 5 on
}

// Real models on a real clip with people walking, tracked, swept, two
// frames in flight: the same detections on every run and with any number
// of threads, as the focus passes take their predictions from a fixed
// frame, not from whichever frame happened to finish.
TEST(AnalysisStage, WhatIsFoundDoesNotDependOnTiming) {
  ModelStore store({test::model_dir(), test::make_temp_dir("stage") / "cache", false});
  using Key = std::vector<std::tuple<std::int64_t, int, int, int, int, int>>;
  auto run = [&](int threads) {
    DetectionOptions options;
    options.threads = threads;
    FrameAnalyzer analyzer(options, store);
    AnalysisStage stage(analyzer, LookaheadOptions{}, 4, 2);
    VideoSource video(test::video_dir() / "face-demographics-walking.gif");
    Key key;
    auto take = [&](std::vector<AnalyzedFrame> ready) {
      for (const AnalyzedFrame& a : ready) {
        for (const Detection& d : a.detections) {
          key.emplace_back(a.frame.index, int(d.cls), int(d.box.x * 100), int(d.box.y * 100), int(d.box.width * 100),
                           int(d.box.height * 100));
        }
      }
    };
    Frame f;
    for (int i = 0; i < 24 && video.read(f); ++i) take(stage.push(std::move(f)));
    take(stage.flush());
    return key;
  };
  Key first = run(2);
  EXPECT_GT(first.size(), 20u);  // people were found
  EXPECT_EQ(run(2), first);
  EXPECT_EQ(run(1), first);
}

}  // namespace
}  // namespace veil

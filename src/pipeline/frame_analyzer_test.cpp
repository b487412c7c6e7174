// The analyzer's scheduling: which passes run on which frame of a sweep, on
// how many threads, and that a failing pass fails the frame. Counting
// detectors stand in for models where the test is about scheduling; the
// real models check that threads change nothing in the result.
#include "veil/pipeline/frame_analyzer.hpp"

#include "test_paths.hpp"
#include "veil/core/error.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace veil {
namespace {

// Pass i covers the 1x1 region at x = i; its "detection" is that pixel.
struct RunLog {
  std::mutex mutex;
  std::map<int, int> runs;  // pass x -> times run
};

class CountingDetector : public Detector {
 public:
  CountingDetector(std::shared_ptr<RunLog> log, int every_frame, int fine, int fail_at = -1)
      : log_(std::move(log)), every_frame_(every_frame), fine_(fine), fail_at_(fail_at) {}
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "counting"; }
  std::vector<DetectorPass> plan(cv::Size) const override {
    std::vector<DetectorPass> out;
    for (int i = 0; i < every_frame_ + fine_; ++i) out.push_back({cv::Rect(i, 0, 1, 1), 1.f, i < every_frame_});
    return out;
  }
  std::vector<DetectorPass> focus(cv::Size, const Detections& expected) const override {
    std::vector<DetectorPass> out;
    for (const Detection& d : expected) out.push_back({cv::Rect(cv::Point(d.box.tl()), cv::Size(1, 1)), 2.f, true});
    return out;
  }
  Detections run(const cv::Mat&, const DetectorPass& pass) override {
    if (pass.region.x == fail_at_) throw Error("no memory for this pass");
    std::lock_guard<std::mutex> lock(log_->mutex);
    log_->runs[pass.region.x]++;
    Detection d;
    d.box = cv::Rect2f(pass.region);
    d.score = 1.f;
    return {d};
  }
  Detections merge(Detections raw, cv::Size) const override {
    std::sort(raw.begin(), raw.end(), [](const Detection& a, const Detection& b) { return a.box.x < b.box.x; });
    return raw;
  }

 private:
  std::shared_ptr<RunLog> log_;
  int every_frame_, fine_, fail_at_;
};

DetectorFactory counting(std::shared_ptr<RunLog> log, int every_frame, int fine, int fail_at = -1) {
  return [=] {
    std::vector<DetectorPtr> v;
    v.push_back(std::make_unique<CountingDetector>(log, every_frame, fine, fail_at));
    return v;
  };
}

const cv::Mat kFrame(120, 160, CV_8UC3, cv::Scalar::all(0));

TEST(FrameAnalyzer, StillImageRunsEveryPassOnce) {
  auto log = std::make_shared<RunLog>();
  FrameAnalyzer analyzer(counting(log, 2, 5), 2);
  Detections found = analyzer.analyze(kFrame);
  ASSERT_EQ(found.size(), 7u);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(found[i].box.x, i);  // every pass's candidates reach merge()
    EXPECT_EQ(log->runs[i], 1) << "pass " << i;
  }
}

TEST(FrameAnalyzer, SweepRunsEachFinePassOncePerPeriod) {
  for (int period : {2, 3, 4}) {
    auto log = std::make_shared<RunLog>();
    FrameAnalyzer analyzer(counting(log, 2, 7), 2);
    for (int phase = 0; phase < 2 * period; ++phase) analyzer.analyze(kFrame, SweepStep{period, phase});
    for (int i = 0; i < 2; ++i) EXPECT_EQ(log->runs[i], 2 * period) << "every-frame pass " << i;
    for (int i = 2; i < 9; ++i) EXPECT_EQ(log->runs[i], 2) << "fine pass " << i << ", period " << period;
  }
}

TEST(FrameAnalyzer, FocusPassesRunOnlyDuringASweep) {
  auto log = std::make_shared<RunLog>();
  FrameAnalyzer analyzer(counting(log, 1, 0), 2);
  Detection expected;
  expected.box = cv::Rect2f(50, 0, 10, 10);
  analyzer.analyze(kFrame, SweepStep{1, 0}, {expected});
  EXPECT_EQ(log->runs.count(50), 0u);  // every pass ran: nothing to focus on
  analyzer.analyze(kFrame, SweepStep{4, 0}, {expected});
  EXPECT_EQ(log->runs[50], 1);
}

TEST(FrameAnalyzer, AFailingPassFailsTheFrame) {
  for (int threads : {1, 2}) {
    auto log = std::make_shared<RunLog>();
    FrameAnalyzer analyzer(counting(log, 3, 3, /*fail_at=*/4), threads);
    try {
      analyzer.analyze(kFrame);
      ADD_FAILURE() << "no error with " << threads << " threads";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("counting failed on a frame: no memory"), std::string::npos) << e.what();
    }
  }
}

TEST(FrameAnalyzer, RejectsNegativeThreads) {
  EXPECT_THROW(FrameAnalyzer(counting(std::make_shared<RunLog>(), 1, 0), -1), Error);
}

// Records how many passes, and how many large ones, run at the same time.
// Passes 0-3 cover 20x20 regions (large for a 100-pixel limit), 4-7 1x1.
class OverlapDetector : public Detector {
 public:
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "overlap"; }
  std::vector<DetectorPass> plan(cv::Size) const override {
    std::vector<DetectorPass> out;
    for (int i = 0; i < 8; ++i) out.push_back({cv::Rect(i * 20, 0, i < 4 ? 20 : 1, i < 4 ? 20 : 1), 1.f, true});
    return out;
  }
  Detections run(const cv::Mat&, const DetectorPass& pass) override {
    const bool large = pass.region.width > 1;
    int now = ++running, now_large = large ? ++running_large : int(running_large);
    {
      std::lock_guard<std::mutex> lock(mutex);
      most = std::max(most, now);
      most_large = std::max(most_large, now_large);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (large) --running_large;
    --running;
    Detection d;
    d.box = cv::Rect2f(pass.region);
    return {d};
  }
  Detections merge(Detections raw, cv::Size) const override { return raw; }

  std::atomic<int> running{0}, running_large{0};
  std::mutex mutex;
  int most = 0, most_large = 0;
};

TEST(FrameAnalyzer, LargePassesRunOneAtATimeBesideSmallOnes) {
  OverlapDetector* probe = nullptr;
  FrameAnalyzer analyzer(
      [&] {
        std::vector<DetectorPtr> v;
        auto d = std::make_unique<OverlapDetector>();
        probe = d.get();
        v.push_back(std::move(d));
        return v;
      },
      2, /*large_input_pixels=*/100);
  EXPECT_EQ(analyzer.analyze(kFrame).size(), 8u);  // every pass ran
  EXPECT_EQ(probe->most_large, 1);                 // never two large at once
  EXPECT_EQ(probe->most, 2);                       // small ones ran beside them
}

// Sleeps as long as the frame's grey level says, in ms.
class SleepyDetector : public Detector {
 public:
  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "sleepy"; }
  std::vector<DetectorPass> plan(cv::Size frame) const override { return {{cv::Rect(cv::Point(), frame), 1.f, true}}; }
  Detections run(const cv::Mat& bgr, const DetectorPass&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(bgr.at<cv::Vec3b>(0, 0)[0]));
    return {};
  }
  Detections merge(Detections raw, cv::Size) const override { return raw; }
};

TEST(FrameAnalyzer, TheNextFrameStartsWhileThisOneIsStillRunning) {
  FrameAnalyzer analyzer(
      [] {
        std::vector<DetectorPtr> v;
        v.push_back(std::make_unique<SleepyDetector>());
        return v;
      },
      2);
  std::future<Detections> slow = analyzer.submit(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(250)), SweepStep{});
  std::future<Detections> fast = analyzer.submit(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(1)), SweepStep{});
  EXPECT_EQ(fast.wait_for(std::chrono::milliseconds(150)), std::future_status::ready);
  EXPECT_NE(slow.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  slow.get();
}

// Real models on a real street photo and a real car photo: the worker
// threads split the passes, never the result.
TEST(FrameAnalyzer, ThreadsDoNotChangeWhatIsFound) {
  ModelStore store({test::model_dir(), test::make_temp_dir("analyzer") / "cache", false});
  DetectionOptions one, two;
  one.threads = 1;
  two.threads = 2;
  FrameAnalyzer a(one, store), b(two, store);
  EXPECT_EQ(b.threads(), 2);
  auto key = [](const Detections& ds) {
    std::vector<std::tuple<int, float, float, float, float>> k;
    for (const auto& d : ds) k.emplace_back(int(d.cls), d.box.x, d.box.y, d.box.width, d.box.height);
    std::sort(k.begin(), k.end());
    return k;
  };
  for (const char* photo : {"data/faces-dev/images/maksssksksss105.jpg", "data/plates-dev/car1.jpg"}) {
    cv::Mat img = cv::imread((test::shared_dir() / photo).string());
    ASSERT_FALSE(img.empty()) << photo;
    Detections da = a.analyze(img), db = b.analyze(img);
    EXPECT_FALSE(da.empty()) << photo;
    EXPECT_EQ(key(da), key(db)) << photo;
  }
}

}  // namespace
}  // namespace veil

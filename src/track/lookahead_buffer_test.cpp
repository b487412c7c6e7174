#include "track/lookahead_buffer.hpp"

#include "detect/nms.hpp"
#include "test_paths.hpp"
#include "track/synthetic_motion.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace veil {
namespace {
namespace fs = std::filesystem;

Detection face_at(float x, float y, float size = 40.f) {
  Detection d;
  d.cls = ObjectClass::kFace;
  d.score = 0.9f;
  d.box = cv::Rect2f(x, y, size, size);
  return d;
}

Frame blank_frame(std::int64_t index) {
  Frame f;
  f.image = cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(0));
  f.index = index;
  return f;
}

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

// Pushes `found[i]` with frame i, then flushes; returns everything released.
LookaheadBuffer::Output run_all(LookaheadBuffer& buffer, const std::vector<Detections>& found) {
  LookaheadBuffer::Output all;
  for (size_t i = 0; i < found.size(); ++i) {
    auto out = buffer.push(blank_frame(std::int64_t(i)), found[i]);
    EXPECT_LE(buffer.buffered(), 8u);
    for (auto& o : out) all.push_back(std::move(o));
  }
  for (auto& o : buffer.flush()) all.push_back(std::move(o));
  return all;
}

// ---------------------------------------------------------------------------
// Synthetic detections

TEST(LookaheadBuffer, KeepsFrameOrderAndCount) {
  LookaheadBuffer buffer(LookaheadOptions{});
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 20; ++i) {
    auto out = buffer.push(blank_frame(i), {});
    EXPECT_EQ(out.size(), i < 8 ? 0u : 1u) << "push " << i;
    EXPECT_LE(buffer.buffered(), 8u);
    for (const auto& [frame, dets] : out) seen.push_back(frame.index);
  }
  auto rest = buffer.flush();
  EXPECT_EQ(rest.size(), 8u);
  for (const auto& [frame, dets] : rest) seen.push_back(frame.index);
  EXPECT_EQ(buffer.buffered(), 0u);
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[size_t(i)], i);
  EXPECT_TRUE(buffer.flush().empty());
}

TEST(LookaheadBuffer, WindowZeroReleasesAtOnceAndStillFillsGaps) {
  LookaheadOptions options;
  options.window = 0;
  LookaheadBuffer buffer(options);
  for (int i = 0; i < 6; ++i) {
    Detections found;
    if (i != 3) found.push_back(face_at(100.f + 5.f * i, 100.f));
    auto out = buffer.push(blank_frame(i), found);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first.index, i);
    ASSERT_EQ(out[0].second.size(), 1u) << "frame " << i;
    EXPECT_EQ(out[0].second[0].predicted, i == 3);
  }
  EXPECT_TRUE(buffer.flush().empty());
}

TEST(LookaheadBuffer, LateFirstDetectionIsBackFilled) {
  // A still face, visible from frame 0 but first found in frame 10.
  std::vector<Detections> found(20);
  for (int i = 10; i < 20; ++i) found[size_t(i)] = {face_at(200.f, 150.f)};
  LookaheadBuffer buffer(LookaheadOptions{});
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 20u);
  int id = all[10].second.at(0).track_id;
  for (int i = 0; i < 20; ++i) {
    const auto& [frame, dets] = all[size_t(i)];
    EXPECT_EQ(frame.index, i);
    // At birth an unconfirmed track reaches back max_gap_single_hit frames;
    // confirmed by its second sighting (frame 11) it reaches every frame
    // still held, 3..9. Frame 2 left the window when frame 10 arrived.
    if (i < 3) {
      EXPECT_TRUE(dets.empty()) << "frame " << i << " is beyond the window";
      continue;
    }
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_EQ(dets[0].track_id, id);
    EXPECT_EQ(dets[0].predicted, i < 10);
    EXPECT_TRUE(dets[0].box.contains({220.f, 170.f}));
  }
  // Grown with distance from the first sighting.
  EXPECT_GT(all[3].second[0].box.width, all[9].second[0].box.width);
}

TEST(LookaheadBuffer, AOneFrameDetectionIsHeldOnlyBriefly) {
  // Seen in frame 10 alone: more likely a false positive than a face, so it
  // is hidden max_gap_single_hit frames each side, not the whole window.
  std::vector<Detections> found(20);
  found[10] = {face_at(200.f, 150.f)};
  LookaheadBuffer buffer(LookaheadOptions{});
  auto all = run_all(buffer, found);
  const int reach = TrackerOptions{}.max_gap_single_hit;
  for (int i = 0; i < 20; ++i) {
    bool expect = i >= 10 - reach && i <= 10 + reach;
    EXPECT_EQ(all[size_t(i)].second.size(), expect ? 1u : 0u) << "frame " << i;
  }
}

TEST(LookaheadBuffer, BackFillFollowsTheMotionOnceKnown) {
  // Moving 5 px a frame, first found in frame 10. After the second and third
  // sightings the back-filled boxes still held are moved along the motion.
  auto truth = [](int i) { return cv::Rect2f(100.f + 5.f * i, 150.f, 40.f, 40.f); };
  std::vector<Detections> found(20);
  for (int i = 10; i < 20; ++i) found[size_t(i)] = {face_at(truth(i).x, truth(i).y)};
  LookaheadBuffer buffer(LookaheadOptions{});
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 20u);
  // Frame 2 left before the second sighting; 3..9 were refined.
  for (int i = 3; i < 10; ++i) {
    const auto& dets = all[size_t(i)].second;
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_LT(cv::norm(centre(dets[0].box) - centre(truth(i))), 2.0) << "frame " << i;
  }
}

TEST(LookaheadBuffer, NoDuplicateWhereTheObjectIsAlreadyHidden) {
  // Found in 0..3, lost long enough for its track to die (max_gap 2), found
  // again in 7 as a new track. Frames 0..5 already hide it (detections, then
  // predictions); only frame 6 needs the back-fill.
  LookaheadOptions options;
  options.tracker.max_gap = 2;
  std::vector<Detections> found(10);
  for (int i : {0, 1, 2, 3, 7, 8, 9}) found[size_t(i)] = {face_at(300.f, 200.f)};
  LookaheadBuffer buffer(options);
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 10u);
  int old_id = all[0].second.at(0).track_id;
  int new_id = all[7].second.at(0).track_id;
  EXPECT_NE(old_id, new_id);
  for (int i = 0; i < 10; ++i) {
    const auto& dets = all[size_t(i)].second;
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_EQ(dets[0].track_id, i <= 5 ? old_id : new_id) << "frame " << i;
  }
}

TEST(LookaheadBuffer, FlushReturnsTheRestAndStartsOver) {
  LookaheadBuffer buffer(LookaheadOptions{});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(buffer.push(blank_frame(i), {face_at(10.f, 10.f)}).empty());
  auto rest = buffer.flush();
  ASSERT_EQ(rest.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rest[size_t(i)].first.index, i);
  // A new input: the old track is gone, so nothing is predicted for it.
  buffer.push(blank_frame(0), {});
  rest = buffer.flush();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_TRUE(rest[0].second.empty());
}

// ---------------------------------------------------------------------------
// Synthetic motion helper

TEST(SyntheticMotion, PanMovesTheTruthAgainstTheCamera) {
  cv::Mat image(300, 600, CV_8UC3, cv::Scalar::all(0));
  cv::rectangle(image, cv::Rect(290, 140, 20, 20), cv::Scalar::all(255), cv::FILLED);
  CameraPath path = pan_path(image.size(), {320, 240}, 11);
  SyntheticClip clip = render_clip(image, {{290.f, 140.f, 20.f, 20.f}}, path);
  ASSERT_EQ(clip.frames.size(), 11u);
  ASSERT_EQ(clip.truth.size(), 11u);
  float last_x = 1e9f;
  for (size_t f = 0; f < clip.frames.size(); ++f) {
    EXPECT_EQ(clip.frames[f].size(), cv::Size(320, 240));
    const cv::Rect2f& t = clip.truth[f][0];
    if (t.empty()) continue;
    EXPECT_LT(t.x, last_x);
    last_x = t.x;
    // The drawn square is where the truth says.
    cv::Point2f c = centre(t);
    if (t.width > 4 && c.x > 1 && c.x < 319) EXPECT_GT(clip.frames[f].at<cv::Vec3b>(cv::Point(c))[0], 200);
  }
  EXPECT_NEAR(clip.truth.front()[0].x, 290.f * 320.f / 360.f, 0.5f);
  EXPECT_NEAR(clip.truth.back()[0].x, 50.f * 320.f / 360.f, 0.5f);
}

TEST(SyntheticMotion, ZoomGrowsTheTruthAndDropsWhatLeaves) {
  cv::Mat image(300, 400, CV_8UC3, cv::Scalar::all(0));
  std::vector<cv::Rect2f> boxes = {{190.f, 140.f, 20.f, 20.f}, {5.f, 5.f, 20.f, 20.f}};
  SyntheticClip clip = render_clip(image, boxes, zoom_path(image.size(), {400, 300}, 10, {200.f, 150.f}, 0.5f));
  EXPECT_NEAR(clip.truth.front()[0].width, 20.f, 0.5f);
  EXPECT_NEAR(clip.truth.back()[0].width, 40.f, 0.5f);
  EXPECT_FALSE(clip.truth.front()[1].empty());
  EXPECT_TRUE(clip.truth.back()[1].empty());
}

// Real motion through the real detector, scored like `veil eval`, is in
// src/eval/temporal_recall_test.cpp.

}  // namespace
}  // namespace veil
